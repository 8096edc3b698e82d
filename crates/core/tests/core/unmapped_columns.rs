//! Issue #15: a CSV file's columns Bidwell does not know are ignored, or
//! kept as custom fields of the imported kind when the user picks that.
//! Checked against Outlook's own export from the real-export corpus (read
//! here with the csv crate, on its own, as the oracle), and against small
//! files for the rules: which field a column goes to, and a value that
//! does not fit refusing the whole file with nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bidwell_core::portability::{ExportOptions, ImportKind, ImportOptions, UnmappedColumns};
use bidwell_core::*;

use crate::portability::{entity_json, export_to, import_from};
use crate::support::*;

fn outlook_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/address-books/contact_csv-outlook.csv")
}

fn keep() -> ImportOptions {
    ImportOptions { unmapped: UnmappedColumns::Keep, ..Default::default() }
}

async fn all_clients(ws: &Workspace) -> Vec<Client> {
    let page = PageRequest { limit: 1000, include_deleted: true, ..Default::default() };
    ws.list_clients(&ClientFilter::default(), &page).await.unwrap().items
}

/// The file's rows as the csv crate reads them: per row, header → non-empty value (trimmed).
fn rows_of(path: &Path) -> Vec<BTreeMap<String, String>> {
    // Outlook leaves a row's trailing empty cells out.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(|h| h.trim().to_string()).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(h, v)| (h.clone(), v.trim().to_string()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn outlook_csv_kept_columns_become_fields_that_search_export_and_reimport() {
    let (_dir, ws) = new_workspace().await;
    let path = outlook_csv();
    let rows = rows_of(&path);
    let dry = import_from(&ws, &path, &ImportOptions { dry_run: true, ..keep() }, None).await.unwrap();
    let unmapped = dry.mapping.clone().unwrap().unmapped;
    // The oracle: every unmapped column with a value in some row.
    let expected: Vec<&String> = unmapped.iter().filter(|c| rows.iter().any(|r| r.contains_key(*c))).collect();
    assert!(expected.len() >= 10, "Outlook's file has many unknown columns with values: {expected:?}");
    let planned: Vec<(&String, &str, bool)> =
        dry.unmapped_fields.iter().map(|f| (&f.column, f.field.as_str(), f.existing)).collect();
    let want: Vec<(&String, &str, bool)> = expected.iter().map(|c| (*c, c.as_str(), false)).collect();
    assert_eq!(planned, want, "each column with a value goes to a new field of its own name");
    assert_eq!(
        (dry.counts.custom_fields, dry.counts.custom_values),
        (expected.len() as u64, {
            rows.iter().map(|r| expected.iter().filter(|c| r.contains_key(**c)).count() as u64).sum::<u64>()
        })
    );
    assert!(ws.custom_fields(None).await.unwrap().is_empty(), "a dry run defines nothing");
    assert!(all_clients(&ws).await.is_empty(), "a dry run writes nothing");

    let done = import_from(&ws, &path, &keep(), None).await.unwrap();
    assert_eq!(
        (done.unmapped, done.unmapped_fields.clone(), done.counts.clone()),
        (keep().unmapped, dry.unmapped_fields, dry.counts)
    );
    let fields = ws.custom_fields(Some(EntityKind::Client)).await.unwrap();
    let mut names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    let mut want_names: Vec<&str> = expected.iter().map(|c| c.as_str()).collect();
    want_names.sort_unstable();
    assert_eq!(names, want_names);
    assert!(fields.iter().all(|f| f.field_type == CustomFieldType::Text));
    let clients = all_clients(&ws).await;
    assert_eq!(clients.len(), rows.len());
    for row in &rows {
        let email = &row["E-mail Address"];
        let client = clients.iter().find(|c| c.email.as_deref() == Some(email.as_str())).unwrap();
        let kept: BTreeMap<String, String> =
            expected.iter().filter_map(|c| row.get(*c).map(|v| ((*c).clone(), v.clone()))).collect();
        assert_eq!(client.fields, kept, "{email}: every kept value, and no other");
    }
    let jerry = clients.iter().find(|c| c.name == "Tom P Jerry").unwrap();
    assert_eq!(jerry.fields["Job Title"], "Cracker Jack");
    let hits = ws.search("Cracker", 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![jerry.meta.id], "found by a kept value");

    // Exported and imported into a new workspace, the fields and values are as they were.
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("first.zip"), out.path().join("second.zip"));
    export_to(&ws, &first, &ExportOptions::default(), None).await.unwrap();
    let (_dst_dir, dst) = new_workspace().await;
    import_from(&dst, &first, &ImportOptions::default(), None).await.unwrap();
    export_to(&dst, &second, &ExportOptions::default(), None).await.unwrap();
    let (a, b) = (entity_json(&first), entity_json(&second));
    assert!(a["custom_values.json"].contains("Cracker Jack"));
    for file in ["clients.json", "custom_fields.json", "custom_values.json"] {
        assert!(a[file] == b[file], "{file} differs after export → import → export");
    }
    assert_eq!(dst.client(jerry.meta.id).await.unwrap(), ws.client(jerry.meta.id).await.unwrap());
}

#[tokio::test]
async fn outlook_csv_ignored_columns_define_no_field_but_say_where_they_would_go() {
    let (_dir, ws) = new_workspace().await;
    let done = import_from(&ws, &outlook_csv(), &ImportOptions::default(), None).await.unwrap();
    assert_eq!(done.unmapped, UnmappedColumns::Ignore);
    assert!(done.unmapped_fields.iter().any(|f| f.column == "Job Title" && !f.existing));
    assert_eq!((done.counts.custom_fields, done.counts.custom_values), (0, 0));
    assert!(ws.custom_fields(None).await.unwrap().is_empty());
    assert!(all_clients(&ws).await.iter().all(|c| c.fields.is_empty()));
}

#[tokio::test]
async fn a_value_that_does_not_fit_refuses_the_file_and_defines_no_field() {
    let (_dir, ws) = new_workspace().await;
    let size = ws
        .define_custom_field(NewCustomField {
            entity_kind: EntityKind::Client,
            name: "shoe size".into(),
            field_type: CustomFieldType::Number,
            choices: vec![],
        })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    let long = "x".repeat(1001);
    let cases = [
        // An existing number field and a value that is no number.
        ("Name,Shoe Size,Hobby\nAda,38,chess\nBob,large,golf\n".to_string(), 3, "Shoe Size", "'large' is not a number"),
        // A new text field and a value longer than any field keeps.
        (format!("Name,Shoe Size,Hobby\nAda,38,chess\nBob,41,{long}\n"), 3, "Hobby", "longer than 1000"),
        // A bad value in a known column, with unknown columns kept.
        (
            "Name,E-mail,Hobby\nAda,ada@example.org,chess\nBob,bob-at-example,golf\n".to_string(),
            3,
            "E-mail",
            "not an email",
        ),
    ];
    for (text, line, column, message) in cases {
        std::fs::write(&path, text).unwrap();
        for dry_run in [true, false] {
            let err = import_from(&ws, &path, &ImportOptions { dry_run, ..keep() }, None).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::ImportInvalid, "{err}");
            let at = err.to_api().location.unwrap();
            assert_eq!((at.file.as_str(), at.line, at.field.as_deref()), ("people.csv", Some(line), Some(column)));
            assert!(err.to_string().contains(message), "{err}");
            assert!(all_clients(&ws).await.is_empty(), "nothing imported");
            assert_eq!(ws.custom_fields(None).await.unwrap(), vec![size.clone()], "no field defined");
        }
    }
    // Ignored, the same values are no error: they are not kept.
    std::fs::write(&path, "Name,Shoe Size,Hobby\nAda,38,chess\nBob,large,golf\n").unwrap();
    let done = import_from(&ws, &path, &ImportOptions::default(), None).await.unwrap();
    assert_eq!(done.counts.clients, 2);
    assert_eq!(ws.custom_fields(None).await.unwrap(), vec![size]);
}

#[tokio::test]
async fn columns_go_to_the_existing_field_of_their_name_or_one_named_by_a_clear_rule() {
    let (_dir, ws) = new_workspace().await;
    let size = ws
        .define_custom_field(NewCustomField {
            entity_kind: EntityKind::Client,
            name: "Shoe size".into(),
            field_type: CustomFieldType::Number,
            choices: vec![],
        })
        .await
        .unwrap();
    // A contact field of the same name is not a client's.
    ws.define_custom_field(NewCustomField {
        entity_kind: EntityKind::Contact,
        name: "Hobby".into(),
        field_type: CustomFieldType::Number,
        choices: vec![],
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.csv");
    std::fs::write(
        &path,
        "Name, SHOE SIZE ,Hobby,hobby,,a=b,Empty,Skipped\n\
         Ada,\"1,200\",chess,go,x,y,,s\n\
         Bob,,golf,,,,,\n",
    )
    .unwrap();
    let map = vec!["Skipped=ignore".parse().unwrap()];
    let options = ImportOptions { kind: Some(ImportKind::Clients), mapping: map, ..keep() };
    let done = import_from(&ws, &path, &options, None).await.unwrap();
    let planned: Vec<(&str, &str, bool, u64)> =
        done.unmapped_fields.iter().map(|f| (f.column.as_str(), f.field.as_str(), f.existing, f.values)).collect();
    assert_eq!(
        planned,
        [
            ("SHOE SIZE", "Shoe size", true, 1),
            ("Hobby", "Hobby", false, 2),
            ("hobby", "hobby (column 4)", false, 1),
            ("", "Column 5", false, 1),
            ("a=b", "a-b", false, 1),
        ],
        "an empty column and one mapped to ignore are not kept"
    );
    assert_eq!((done.counts.custom_fields, done.counts.custom_values), (4, 6));
    let ada = all_clients(&ws).await.into_iter().find(|c| c.name == "Ada").unwrap();
    let want: BTreeMap<String, String> =
        [("Shoe size", "1200"), ("Hobby", "chess"), ("hobby (column 4)", "go"), ("Column 5", "x"), ("a-b", "y")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert_eq!(ada.fields, want, "a value kept as its field keeps it (a number without separators)");
    let fields = ws.custom_fields(Some(EntityKind::Client)).await.unwrap();
    assert_eq!(fields.iter().find(|f| f.id == size.id).unwrap(), &size, "the existing field is unchanged");
    assert_eq!(fields.len(), 5);
}

#[tokio::test]
async fn a_contacts_file_keeps_its_columns_on_the_contacts_and_a_vcard_has_none_to_keep() {
    let (_dir, ws) = new_workspace().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, "Name,Company,Desk\nAda,Analytical Ltd,4B\nCharles,Analytical Ltd,\n").unwrap();
    let options = ImportOptions { kind: Some(ImportKind::Contacts), ..keep() };
    let done = import_from(&ws, &path, &options, None).await.unwrap();
    assert_eq!((done.counts.clients, done.counts.contacts, done.counts.custom_values), (1, 2, 1));
    let fields = ws.custom_fields(None).await.unwrap();
    assert_eq!(
        fields.iter().map(|f| (f.entity_kind, f.name.as_str())).collect::<Vec<_>>(),
        [(EntityKind::Contact, "Desk")]
    );
    let contacts = ws.list_contacts(&ContactFilter::default(), &PageRequest::default()).await.unwrap().items;
    let ada = contacts.iter().find(|c| c.name == "Ada").unwrap();
    assert_eq!(ada.fields.get("Desk").map(String::as_str), Some("4B"));

    let card = dir.path().join("one.vcf");
    std::fs::write(&card, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoe\r\nEND:VCARD\r\n").unwrap();
    let err = import_from(&ws, &card, &keep(), None).await.unwrap_err();
    assert!(err.to_string().contains("only a CSV file has columns to keep"), "{err}");
}
