//! The app's command list, read from src-tauri/commands.rs: each
//! `#[tauri::command]` function and each `record_commands!` use, with its
//! arguments and what it returns. commands.rs is the one place a command is
//! written; build.rs registers and grants what this finds, and a test writes
//! the window's typed map of them (ui/src/bindings/Commands.ts).
//!
//! Shared by build.rs and the app's tests through `#[path]`.

use syn::{FnArg, Item, Pat, ReturnType, Type};

/// One command as the window calls it.
pub struct Command {
    pub name: String,
    /// The arguments the window passes (Tauri's own, such as `State`, left out).
    pub args: Vec<(String, Type)>,
    /// What the call resolves to: `T` of `Reply<T>`, or the plain return type.
    pub returns: Option<Type>,
}

/// Argument types Tauri fills in itself; the window never passes them.
const INJECTED: &[&str] = &["State", "AppHandle", "Webview", "Window", "WebviewWindow"];

/// Every command in `source` (the text of commands.rs), in source order.
pub fn parse(source: &str) -> Result<Vec<Command>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("commands.rs does not parse: {e}"))?;
    let mut commands = Vec::new();
    for item in file.items {
        match item {
            Item::Fn(f) if f.attrs.iter().any(is_command_attr) => commands.push(from_signature(&f.sig)?),
            Item::Macro(m) if m.mac.path.is_ident("record_commands") => commands.extend(record_commands(&m.mac)?),
            _ => {}
        }
    }
    Ok(commands)
}

fn is_command_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    path.segments.len() == 2 && path.segments[0].ident == "tauri" && path.segments[1].ident == "command"
}

fn from_signature(sig: &syn::Signature) -> Result<Command, String> {
    let name = sig.ident.to_string();
    let mut args = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(arg) = input else { return Err(format!("{name} takes self")) };
        let Pat::Ident(ident) = &*arg.pat else { return Err(format!("{name} has a pattern argument")) };
        if !INJECTED.contains(&last_ident(&arg.ty).as_str()) {
            args.push((ident.ident.to_string(), (*arg.ty).clone()));
        }
    }
    let returns = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(unwrap_reply(ty)),
    };
    Ok(Command { name, args, returns })
}

/// `record_commands!(create, get, list, update, Ty, New, Filter, Patch, …)`:
/// the four commands its arms write, with the shapes written there.
fn record_commands(mac: &syn::Macro) -> Result<Vec<Command>, String> {
    let parts: Vec<String> = mac.tokens.to_string().split(',').map(|p| p.trim().to_string()).collect();
    let [create, get, list, update, ty, new, filter, patch, ..] = parts.as_slice() else {
        return Err(format!("record_commands!({}) has too few parts", mac.tokens));
    };
    let ty_of = |text: &str| syn::parse_str::<Type>(text).map_err(|e| format!("{text}: {e}"));
    let id = ty_of("Id")?;
    Ok(vec![
        Command { name: create.clone(), args: vec![("new".into(), ty_of(new)?)], returns: Some(ty_of(ty)?) },
        Command { name: get.clone(), args: vec![("id".into(), id.clone())], returns: Some(ty_of(ty)?) },
        Command {
            name: list.clone(),
            args: vec![("filter".into(), ty_of(filter)?), ("page".into(), ty_of("PageRequest")?)],
            returns: Some(ty_of(&format!("Page<{ty}>"))?),
        },
        Command {
            name: update.clone(),
            args: vec![("id".into(), id), ("patch".into(), ty_of(patch)?)],
            returns: Some(ty_of(ty)?),
        },
    ])
}

/// `Reply<T>` → `T`; anything else as it is.
fn unwrap_reply(ty: &Type) -> Type {
    if let Type::Path(path) = ty {
        if let Some(last) = path.path.segments.last() {
            if last.ident == "Reply" {
                if let Some(inner) = generic_args(last).into_iter().next() {
                    return inner;
                }
            }
        }
    }
    ty.clone()
}

/// The type arguments of a path segment: `Option<T>` → `[T]`.
pub fn generic_args(segment: &syn::PathSegment) -> Vec<Type> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The last name of a type's path: `tauri::State<'_, Session>` → `State`.
pub fn last_ident(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Type::Reference(r) => last_ident(&r.elem),
        _ => String::new(),
    }
}
