//! The vCard importer on arbitrary bytes: clients or an import error, never
//! a panic; and whatever it accepts, written back as vCard, reads again.
#![no_main]

use bidwell_core::portability::vcard::{parse_vcards, write_vcards};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
    if let Ok(clients) = parse_vcards("fuzz.vcf", data, now) {
        let refs: Vec<_> = clients.iter().collect();
        let text = write_vcards(&refs, &[], &clients);
        let again = parse_vcards("again.vcf", text.as_bytes(), now).expect("written cards read back");
        assert_eq!(again.len(), clients.len());
        for (a, b) in again.iter().zip(&clients) {
            // vCard has no escape for a carriage return; Bidwell writes line breaks as \n.
            let notes = b.notes.replace('\r', "");
            assert_eq!((&a.name, &a.email, &a.tags, &a.notes), (&b.name, &b.email, &b.tags, &notes));
        }
    }
});
