//! The export-archive reader on arbitrary bytes (a ZIP, its manifest, its
//! JSON files): parsed and checked, or refused with an error, never a panic.
#![no_main]

use bidwell_core::portability::archive::parse_archive;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_archive("fuzz.zip", data, None);
    let _ = parse_archive("fuzz.zip", data, Some("password"));
});
