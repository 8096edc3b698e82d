//! The clients and contacts CSV importers on arbitrary bytes: each must
//! return records or an import error, never panic. The first byte picks a
//! column mapping, so the `--map` path is exercised too.
#![no_main]

use bidwell_core::portability::csv_import::{parse_clients_csv, parse_contacts_csv};
use bidwell_core::portability::ColumnMapping;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
    let (mapping, bytes) = match data.split_first() {
        Some((b, rest)) if b % 4 == 0 => {
            (vec![ColumnMapping { column: "a".into(), field: "name".into() }], rest)
        }
        Some((b, rest)) if b % 4 == 1 => {
            (vec![ColumnMapping { column: "b".into(), field: "ignore".into() }], rest)
        }
        _ => (Vec::new(), data),
    };
    if let Ok(clients) = parse_clients_csv("fuzz.csv", bytes, &mapping, now) {
        for c in clients {
            assert!(!c.name.trim().is_empty(), "an imported client always has a name");
        }
    }
    if let Ok(rows) = parse_contacts_csv("fuzz.csv", bytes, &mapping, now) {
        for r in rows {
            assert!(!r.contact.name.trim().is_empty(), "an imported contact always has a name");
            assert!(!r.client_name.trim().is_empty(), "and names its client");
        }
    }
});
