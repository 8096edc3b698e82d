// A new or changed migration must rebuild the crate that embeds them.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
