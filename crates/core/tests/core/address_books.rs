//! Real address-book exports, as a new user brings them: vCards written by
//! Outlook, Android, BlackBerry, iPhone, macOS Contacts, Gmail, Evolution,
//! Lotus Notes, Thunderbird and FullContact, the examples of RFC 2426 and
//! RFC 6350, and Google's classic CSV and Outlook's, in English and in
//! German. The files come from other projects' test suites
//! (tests/fixtures/address-books/SOURCES.md).
//! Each is imported into a fresh workspace, with no column mapping, and
//! the fields a user would look at first are checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use bidwell_core::portability::{ImportOptions, ImportSummary};
use bidwell_core::*;

use crate::support::*;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/address-books")
}

/// Every file of the corpus and the clients it holds (0: it is refused).
const FILES: &[(&str, u64)] = &[
    ("outlook-2003.vcf", 0),
    ("outlook-2007.vcf", 1),
    ("John_Doe_MS_OUTLOOK.vcf", 1),
    ("John_Doe_ANDROID.vcf", 6),
    ("John_Doe_BLACK_BERRY.vcf", 1),
    ("John_Doe_IPHONE.vcf", 1),
    ("John_Doe_MAC_ADDRESS_BOOK.vcf", 1),
    ("John_Doe_GMAIL.vcf", 1),
    ("gmail-single.vcf", 1),
    ("gmail-single2.vcf", 1),
    ("gmail-list.vcf", 3),
    ("John_Doe_EVOLUTION.vcf", 1),
    ("John_Doe_LOTUS_NOTES.vcf", 1),
    ("thunderbird-MoreFunctionsForAddressBook-extension.vcf", 1),
    ("rfc2426-example.vcf", 2),
    ("rfc6350-example.vcf", 1),
    ("fullcontact.vcf", 1),
    ("google_contacts.csv", 5),
    ("importtest_outlook2013.csv", 2),
    ("contact_csv-outlook.csv", 2),
];

/// Imports one file of the corpus into a new workspace: the summary, and
/// the clients it made.
async fn import(file: &str, dry_run: bool) -> Result<(ImportSummary, Vec<Client>)> {
    let (_dir, ws) = new_workspace().await;
    let options = ImportOptions { dry_run, ..Default::default() };
    let cancel = AtomicBool::new(false);
    let summary = ws.import(&corpus().join(file), &options, None, &mut |_| {}, &cancel).await?;
    let page = PageRequest { limit: 1000, ..Default::default() };
    let clients = ws.list_clients(&ClientFilter::default(), &page).await?.items;
    Ok((summary, clients))
}

async fn clients_of(file: &str) -> Vec<Client> {
    import(file, false).await.unwrap_or_else(|e| panic!("{file}: {e}")).1
}

fn named<'a>(clients: &'a [Client], name: &str) -> &'a Client {
    clients.iter().find(|c| c.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
        panic!("no client named {name:?} among {names:?}")
    })
}

/// (name, e-mail, phone, company, website, country) as a user scans them.
type Card<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn card(c: &Client) -> Card<'_> {
    (
        c.name.as_str(),
        c.email.as_deref(),
        c.phone.as_deref(),
        c.company.as_deref(),
        c.website.as_deref(),
        c.country.as_deref(),
    )
}

#[tokio::test]
async fn every_file_is_listed_with_its_source_and_imports_every_card_or_row() {
    let sources = std::fs::read_to_string(corpus().join("SOURCES.md")).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".vcf") || n.ends_with(".csv"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every file of the corpus is checked here");
    for (file, expected) in FILES {
        assert!(sources.contains(&format!("`{file}`")), "SOURCES.md says where {file} comes from");
        if *expected == 0 {
            continue;
        }
        let (summary, clients) = import(file, false).await.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((summary.counts.clients, clients.len() as u64), (*expected, *expected), "{file}");
    }
}

#[tokio::test]
async fn outlook_2003_reaches_its_placeholder_phone_and_refuses_it_by_line_and_field() {
    // Past the 2.1 header, a quoted-printable note and a base64 key: its
    // phones are the words Outlook's sample put there.
    let err = import("outlook-2003.vcf", true).await.unwrap_err();
    assert_eq!(err.to_string(), "outlook-2003.vcf line 10, field \"TEL\": 'BusinessPhone' is not a phone number");
}

#[tokio::test]
async fn outlook_vcards_read_quoted_printable_notes_and_bare_parameters() {
    let c = clients_of("outlook-2007.vcf").await;
    let mike = named(&c, "Mr. Michael Angstadt Jr.");
    assert_eq!(
        card(mike),
        (
            "Mr. Michael Angstadt Jr.",
            Some("mike.angstadt@gmail.com"),
            Some("(111) 555-1111"),
            Some("TheCompany"),
            Some("http://mikeangstadt.name"),
            Some("USA")
        )
    );
    assert!(
        mike.notes.starts_with("This is the NOTE field\t\nI assume it encodes this text inside a NOTE vCard type.\n"),
        "{:?}",
        mike.notes
    );
    let c = clients_of("John_Doe_MS_OUTLOOK.vcf").await;
    let john = named(&c, "Mr. John Richter James Doe Sr.");
    assert_eq!(john.email.as_deref(), Some("john.doe@ibm.cm"));
    assert_eq!(john.phone.as_deref(), Some("(905) 555-1234"));
    assert_eq!(john.country.as_deref(), Some("United States of America"));
}

#[tokio::test]
async fn android_quoted_printable_utf8_names_and_cards_with_only_an_address() {
    let c = clients_of("John_Doe_ANDROID.vcf").await;
    assert_eq!(named(&c, "john.doe@company.com").tags, vec!["My Contacts"]);
    let five = named(&c, "Ñ Ñ Ñ Ñ Ñ");
    assert_eq!(five.phone.as_deref(), Some("123456789"));
    let bob = named(&c, "Ñ Ñ Ñ Ñ");
    assert_eq!(bob.email.as_deref(), Some("bob@company.com"), "the first preferred address");
    assert_eq!(bob.company.as_deref(), Some("ÑÑÑÑÑÑÑÑÑÑÑÑ"));
    assert_eq!(bob.website.as_deref(), Some("www.company.com"));
    let henry = named(&c, "ÑÑÑÑ");
    assert_eq!((henry.email.as_deref(), henry.phone.as_deref()), (Some("henry@company.com"), Some("55556666")));
    let noted = c.iter().find(|x| !x.notes.is_empty()).unwrap();
    assert!(noted.notes.starts_with("Ñ Ñ Ñ"), "{:?}", noted.notes);
}

#[tokio::test]
async fn blackberry_and_iphone_photos_do_not_break_the_card() {
    let c = clients_of("John_Doe_BLACK_BERRY.vcf").await;
    assert_eq!(card(&c[0]), ("John Doe", None, Some("+96123456789"), Some("Acme Solutions"), None, None));
    let c = clients_of("John_Doe_IPHONE.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "Mr. John Richter James Doe Sr.",
            Some("john.doe@ibm.com"),
            Some("905-555-1234"),
            Some("IBM"),
            Some("http://www.ibm.com"),
            Some("United States of America")
        )
    );
    let c = clients_of("John_Doe_MAC_ADDRESS_BOOK.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "Mr. John Richter,James Doe Sr.",
            Some("john.doe@ibm.com"),
            Some("905-777-1234"),
            Some("IBM"),
            Some("http://www.ibm.com"),
            Some("United States of America")
        )
    );
}

#[tokio::test]
async fn gmail_vcards_keep_the_first_address_and_phone() {
    let c = clients_of("John_Doe_GMAIL.vcf").await;
    let john = named(&c, "Mr. John Richter, James Doe Sr.");
    assert_eq!((john.phone.as_deref(), john.company.as_deref()), (Some("905-555-1234"), Some("IBM")));
    assert!(john.notes.ends_with("DAMAGE.\nFavotire Color: Blue"), "{:?}", john.notes);
    let c = clients_of("gmail-single.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "Greg Dartmouth",
            Some("gdartmouth@hotmail.com"),
            Some("555 555 1111"),
            Some("TheCompany"),
            Some("http://TheProfile.com"),
            Some("USA")
        )
    );
    let c = clients_of("gmail-single2.vcf").await;
    let test = named(&c, "VCard Test");
    assert_eq!((test.email.as_deref(), test.phone.as_deref()), (Some("email@example.com"), Some("5555551111")));
    let c = clients_of("gmail-list.vcf").await;
    assert_eq!(named(&c, "Chris Beatle").email.as_deref(), Some("chrisy55d@yahoo.com"));
}

#[tokio::test]
async fn evolution_lotus_notes_thunderbird_and_fullcontact_cards() {
    let c = clients_of("John_Doe_EVOLUTION.vcf").await;
    let john = named(&c, "Mr. John Richter, James Doe Sr.");
    assert_eq!(john.tags, vec!["VIP"]);
    assert_eq!(john.website.as_deref(), Some("http://www.ibm.com"), "a URL folded inside its host");
    assert_eq!(john.country.as_deref(), Some("United States of America"));
    let c = clients_of("John_Doe_LOTUS_NOTES.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "Mr. Doe John I Johny",
            Some("john.doe@ibm.com"),
            Some("+1 (212) 204-34456"),
            Some("IBM"),
            Some("http://www.sun.com"),
            Some("U.S.A.")
        )
    );
    let c = clients_of("thunderbird-MoreFunctionsForAddressBook-extension.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "John Doe",
            Some("doe.john@hotmail.com"),
            Some("555-555-1111"),
            Some("TheOrganization"),
            Some("http://www.private-webpage.com"),
            Some("USA")
        )
    );
    let c = clients_of("fullcontact.vcf").await;
    let full = named(&c, "Prefix FirstName MiddleName LastName Suffix");
    assert_eq!((full.email.as_deref(), full.company.as_deref()), (Some("home@example.com"), Some("Organization1")));
}

#[tokio::test]
async fn the_rfc_examples_import_with_tel_uris_and_extensions() {
    let c = clients_of("rfc6350-example.vcf").await;
    assert_eq!(
        card(&c[0]),
        (
            "Simon Perreault",
            Some("simon.perreault@viagenie.ca"),
            Some("+1-418-656-9254 x102"),
            Some("Viagenie"),
            Some("http://nomis80.org"),
            Some("Canada")
        )
    );
    let c = clients_of("rfc2426-example.vcf").await;
    let frank = named(&c, "Frank Dawson");
    assert_eq!(frank.email.as_deref(), Some("Frank_Dawson@Lotus.com"), "the preferred address");
    assert_eq!(frank.phone.as_deref(), Some("+1-919-676-9515"));
    assert_eq!(named(&c, "Tim Howes").country.as_deref(), Some("U.S.A."));
}

#[tokio::test]
async fn google_classic_csv_imports_every_row_and_says_what_it_mapped() {
    let (summary, c) = import("google_contacts.csv", true).await.unwrap();
    assert!(c.is_empty(), "a dry run writes nothing");
    let mapping = summary.mapping.expect("a CSV import reports its mapping");
    let field_of = |column: &str| mapping.mapped.iter().find(|m| m.column == column).map(|m| m.field.as_str());
    assert_eq!(field_of("Name"), Some("name"));
    assert_eq!(field_of("E-mail 1 - Value"), Some("email"));
    assert_eq!(field_of("Phone 1 - Value"), Some("phone"));
    assert_eq!(field_of("Group Membership"), Some("tags"));
    for column in ["Yomi Name", "Short Name", "E-mail 1 - Type", "Address 1 - Formatted"] {
        assert!(mapping.unmapped.iter().any(|u| u == column), "{column} in {:?}", mapping.unmapped);
    }
    let c = clients_of("google_contacts.csv").await;
    assert_eq!(named(&c, "Ando").phone.as_deref(), Some("+49227913452"));
    let axel = named(&c, "axel");
    assert_eq!((axel.email.as_deref(), axel.notes.as_str()), (Some("abc@here.de"), "rutan"));
    assert_eq!(axel.tags, vec!["kunden"], "Google's own \"* My Contacts\" is not a tag");
    assert_eq!(named(&c, "Bus Winsen").phone.as_deref(), Some("021224351809"));
}

#[tokio::test]
async fn outlook_csv_in_german_and_windows_1252_imports_every_row() {
    let c = clients_of("importtest_outlook2013.csv").await;
    let christian = named(&c, "Christian Baumann");
    assert_eq!(
        card(christian),
        (
            "Christian Baumann",
            Some("c.baumann@unittest.de"),
            Some("+49 (0) 40 6432131-550"),
            Some("unittest"),
            None,
            Some("Deutschland")
        )
    );
    let cornelius = named(&c, "Cornelius Weiß");
    assert_eq!(cornelius.email.as_deref(), Some("c.weiss@unittest.de"));
    assert_eq!(cornelius.phone.as_deref(), Some("0176 164321545"), "the mobile before the office phone");
}

#[tokio::test]
async fn outlook_csv_in_english_imports_every_row() {
    let (summary, c) = import("contact_csv-outlook.csv", true).await.unwrap();
    assert!(c.is_empty(), "a dry run writes nothing");
    let mapping = summary.mapping.expect("a CSV import reports its mapping");
    let field_of = |column: &str| mapping.mapped.iter().find(|m| m.column == column).map(|m| m.field.as_str());
    assert_eq!(field_of("First Name"), Some("first_name"));
    assert_eq!(field_of("E-mail Address"), Some("email"));
    assert_eq!(field_of("Mobile Phone"), Some("phone"));
    assert_eq!(field_of("Business Country"), Some("country"), "the older Outlook's name for the country");
    for column in ["Title", "E-mail Type", "E-mail Display Name", "Gender"] {
        assert!(mapping.unmapped.iter().any(|u| u == column), "{column} in {:?}", mapping.unmapped);
    }
    let c = clients_of("contact_csv-outlook.csv").await;
    // A row that leaves its trailing empty cells out.
    assert_eq!(
        card(named(&c, "Tom P Jerry")),
        (
            "Tom P Jerry",
            Some("RodgerRabbit@StealMyShoes.com"),
            Some("(000) 000-0000"),
            Some("Acme"),
            None,
            Some("United States of America")
        )
    );
    // Outlook's "Title" and "Suffix" ("Mr.", "II") are not part of the name.
    let mcgee = named(&c, "Money Maker McGee");
    assert_eq!((mcgee.email.as_deref(), mcgee.phone.as_deref()), (Some("Fake@email.com"), Some("(666) 333-7777")));
    assert!(mcgee.notes.starts_with("Asdf asdf asdf adsf"), "a note quoted over two lines: {:?}", mcgee.notes);
}
