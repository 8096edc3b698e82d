//! The UI's TypeScript types are generated from the Rust ones; this fails
//! when a Rust type changed and the checked-in bindings were not regenerated.

use std::path::Path;

#[test]
fn checked_in_typescript_bindings_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    let update = std::env::var("BIDWELL_UPDATE_BINDINGS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for (name, text) in bidwell_core::bindings::files() {
        let path = dir.join(&name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings {stale:?}: run BIDWELL_UPDATE_BINDINGS=1 cargo test -p bidwell-core bindings"
    );
}
