//! The window's typed map of the app's commands, ui/src/bindings/Commands.ts,
//! written from commands.rs (through command_list.rs) so that ui/src/api.ts
//! names no command and passes no argument the shell does not have: a
//! mismatch is a type error in `tsc`, not a failure at run time.

use std::collections::BTreeSet;
use std::path::Path;

use syn::Type;

use crate::command_list::{self, generic_args};

/// Rust's scalars as TypeScript sees them through serde.
fn scalar(name: &str) -> Option<&'static str> {
    match name {
        "String" | "str" => Some("string"),
        "bool" => Some("boolean"),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32" | "f64" => {
            Some("number")
        }
        _ => None,
    }
}

/// The TypeScript of a Rust type; names of generated bindings go to `imports`.
fn typescript(ty: &Type, imports: &mut BTreeSet<String>) -> String {
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => "void".into(),
        Type::Reference(r) => typescript(&r.elem, imports),
        Type::Path(path) => {
            let segment = path.path.segments.last().expect("a type path has a last segment");
            let name = segment.ident.to_string();
            // chrono's UTC times cross as RFC 3339 text, as in the generated bindings.
            if name == "DateTime" {
                return "string".into();
            }
            let args: Vec<String> = generic_args(segment).iter().map(|t| typescript(t, imports)).collect();
            if let Some(ts) = scalar(&name) {
                return ts.into();
            }
            match (name.as_str(), args.as_slice()) {
                ("Option", [inner]) => format!("{inner} | null"),
                ("Vec", [inner]) => format!("Array<{inner}>"),
                ("Channel", [inner]) => format!("Channel<{inner}>"),
                (_, []) => {
                    imports.insert(name.clone());
                    name
                }
                (_, args) => {
                    imports.insert(name.clone());
                    format!("{name}<{}>", args.join(", "))
                }
            }
        }
        _ => panic!("commands.rs uses a type the command map cannot write (only paths, references and ())"),
    }
}

/// Tauri passes `snake_case` arguments under their camelCase names.
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of Commands.ts for the commands in `source`.
pub fn command_map(source: &str) -> String {
    let commands = command_list::parse(source).expect("commands.rs is read");
    let mut imports = BTreeSet::new();
    let mut entries = String::new();
    for command in &commands {
        let args: Vec<String> = command
            .args
            .iter()
            .map(|(name, ty)| {
                // Tauri reads a missing optional argument as None.
                let optional = if command_list::last_ident(ty) == "Option" { "?" } else { "" };
                format!("{}{optional}: {}", camel_case(name), typescript(ty, &mut imports))
            })
            .collect();
        let args =
            if args.is_empty() { "Record<string, never>".to_string() } else { format!("{{ {} }}", args.join("; ")) };
        let returns = command.returns.as_ref().map_or("void".to_string(), |t| typescript(t, &mut imports));
        entries.push_str(&format!("  {}: {{ args: {args}; returns: {returns} }};\n", command.name));
    }
    let mut text = String::from(
        "// Generated from src-tauri/commands.rs by src-tauri/command_map.rs. Do not edit:\n\
         // run BIDWELL_UPDATE_BINDINGS=1 cargo test -p bidwell command_map\n\n",
    );
    if source.contains("Channel<") {
        text.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
    }
    for name in &imports {
        text.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
    }
    text.push_str(
        "\n/** Every command the window may call: the arguments it passes and what the call resolves to. */\n",
    );
    text.push_str(&format!("export type Commands = {{\n{entries}}};\n"));
    text
}

#[test]
fn the_windows_command_map_is_current() {
    let bindings = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    let text = command_map(include_str!("commands.rs"));
    let path = bindings.join("Commands.ts");
    if std::env::var("BIDWELL_UPDATE_BINDINGS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
        "ui/src/bindings/Commands.ts is stale: run BIDWELL_UPDATE_BINDINGS=1 cargo test -p bidwell command_map"
    );
    let missing: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("import type { ")?.split(' ').next().map(str::to_string))
        .filter(|name| name != "Channel" && !bindings.join(format!("{name}.ts")).exists())
        .collect();
    assert!(missing.is_empty(), "commands use types with no TypeScript binding: {missing:?}");
}

#[test]
fn the_map_has_every_command_with_its_arguments() {
    let text = command_map(include_str!("commands.rs"));
    assert!(text.contains("  create_client: { args: { new: NewClient }; returns: Client };"), "{text}");
    assert!(text.contains("  list_jobs: { args: { filter: JobFilter; page: PageRequest }; returns: Page<Job> };"));
    assert!(text.contains(
        "  unlock_with_recovery_key: { args: { recoveryKey: string; onProgress: Channel<Progress> }; returns: void };"
    ));
    assert!(text.contains("onProgress: Channel<Progress>"));
    assert!(text.contains("  snooze_task: { args: { id: Id; until: string }; returns: Task };"), "{text}");
    assert!(text
        .contains("  unlock: { args: { passphrase?: string | null; onProgress: Channel<Progress> }; returns: void };"));
    for injected in [" session:", " work:", " engine:", " chosen:", " app:", " webview:", "AppHandle", "Webview"] {
        assert!(!text.contains(injected), "Tauri's own arguments are left out: {injected}");
    }
}
