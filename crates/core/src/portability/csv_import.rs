//! CSV files of clients, or of contacts, from other tools: which header
//! means which field (aliases for Google Contacts, Outlook, Upwork and
//! Freelancer style exports, plus the user's own `--map COLUMN=field`),
//! strict quoting, and every row checked as a record made in the app would
//! be. A contact row names its client in a column ("Company", "Organization
//! Name", "Client"); joining it to a client is the importer's job. Errors
//! name the file, the line and the column as the user's file spells it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ColumnMapping;
use crate::domain::{Client, ClientKind, Contact, Origin};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::store::record::new_meta;

/// The client fields a column can fill; `ignore` skips a column.
pub const FIELDS: &[&str] = &[
    "name",
    "first_name",
    "middle_name",
    "last_name",
    "kind",
    "email",
    "phone",
    "company",
    "website",
    "country",
    "notes",
    "tags",
    "ignore",
];

/// Header aliases, compared after [`normalize_header`], that mean the same
/// field in a clients file and a contacts file: the name and its parts,
/// e-mail, phone and notes. Each kind adds its own rows after these; no alias
/// appears twice within a kind, so the order of the slices does not matter.
const PERSON_ALIASES: &[(&str, &str)] = &[
    ("name", "name"),
    ("full name", "name"),
    ("display name", "name"),
    ("contact name", "name"),
    ("first name", "first_name"),
    ("given name", "first_name"),
    ("firstname", "first_name"),
    ("middle name", "middle_name"),
    ("additional name", "middle_name"),
    ("last name", "last_name"),
    ("family name", "last_name"),
    ("surname", "last_name"),
    ("lastname", "last_name"),
    ("email", "email"),
    ("e mail", "email"),
    ("email address", "email"),
    ("e mail address", "email"),
    ("e mail 1 value", "email"),
    ("email 1 value", "email"),
    ("primary email", "email"),
    ("phone", "phone"),
    ("telephone", "phone"),
    ("phone number", "phone"),
    ("mobile", "phone"),
    ("mobile phone", "phone"),
    ("business phone", "phone"),
    ("primary phone", "phone"),
    ("phone 1 value", "phone"),
    ("notes", "notes"),
    ("note", "notes"),
    ("description", "notes"),
];

/// Header aliases of a clients file only (beside [`PERSON_ALIASES`]). Google
/// Contacts ("Given Name", "E-mail 1 - Value", "Organization 1 - Name"),
/// Outlook ("First Name", "E-mail Address", "Business Phone", "Company"), and
/// the client lists of marketplaces ("Client", "Client Name", "Team", "Employer").
const CLIENT_ALIASES: &[(&str, &str)] = &[
    ("client", "name"),
    ("client name", "name"),
    ("team", "name"),
    ("team name", "name"),
    ("employer", "name"),
    ("employer name", "name"),
    ("kind", "kind"),
    ("type", "kind"),
    ("company", "company"),
    ("company name", "company"),
    ("organization", "company"),
    ("organisation", "company"),
    ("organization name", "company"),
    ("organization 1 name", "company"),
    ("website", "website"),
    ("web site", "website"),
    ("web page", "website"),
    ("url", "website"),
    ("website 1 value", "website"),
    ("country", "country"),
    ("country region", "country"),
    ("business country region", "country"),
    ("home country region", "country"),
    ("address 1 country", "country"),
    ("client country", "country"),
    ("employer country", "country"),
    ("location", "country"),
    ("tags", "tags"),
    ("labels", "tags"),
    ("categories", "tags"),
    ("group membership", "tags"),
];

/// The contact fields a column can fill; `client` is the name of the client
/// the contact belongs to; `ignore` skips a column.
pub const CONTACT_FIELDS: &[&str] =
    &["name", "first_name", "middle_name", "last_name", "email", "phone", "role", "client", "notes", "ignore"];

/// Header aliases of a contacts file only (beside [`PERSON_ALIASES`]). A
/// person's organisation ("Company", Google's "Organization 1 - Name",
/// Outlook's "Company") is the client.
const CONTACT_ALIASES: &[(&str, &str)] = &[
    ("contact", "name"),
    ("role", "role"),
    ("job title", "role"),
    ("position", "role"),
    ("organization title", "role"),
    ("organization 1 title", "role"),
    ("client", "client"),
    ("client name", "client"),
    ("company", "client"),
    ("company name", "client"),
    ("organization", "client"),
    ("organisation", "client"),
    ("organization name", "client"),
    ("organization 1 name", "client"),
    ("employer", "client"),
    ("employer name", "client"),
    ("team", "client"),
    ("team name", "client"),
    ("account name", "client"),
];

/// What the rows of a CSV file become.
struct Schema {
    /// "client" or "contact", for messages.
    what: &'static str,
    fields: &'static [&'static str],
    /// Header aliases, searched as one list: [`PERSON_ALIASES`] and the kind's own.
    aliases: &'static [&'static [(&'static str, &'static str)]],
    /// Further columns skipped without asking (beyond [`KNOWN_UNUSED`]).
    unused: &'static [&'static str],
    /// Each entry: the header must have a column for one of these fields, or
    /// the import is refused with the message.
    required: &'static [(&'static [&'static str], &'static str)],
}

const CLIENTS: Schema = Schema {
    what: "client",
    fields: FIELDS,
    aliases: &[PERSON_ALIASES, CLIENT_ALIASES],
    unused: &[],
    required: &[(
        &["name", "first_name", "last_name", "company"],
        "no column gives a name (name, first name, last name or company); map one with --map",
    )],
};

const CONTACTS: Schema = Schema {
    what: "contact",
    fields: CONTACT_FIELDS,
    aliases: &[PERSON_ALIASES, CONTACT_ALIASES],
    // Google's and Outlook's contact groups: a contact has no tags.
    unused: &["group membership", "labels", "categories"],
    required: &[
        (&["name", "first_name", "last_name"], "no column gives the contact's name (name, first name or last name); map one with --map"),
        (&["client"], "no column names the contact's client (client, company or organization name); map one with --map \"COLUMN=client\""),
    ],
};

/// Columns those exports carry that a client has no place for: skipped
/// without asking. Anything else unknown is refused, so that no data is
/// dropped silently; `--map COLUMN=ignore` skips it on purpose.
const KNOWN_UNUSED: &[&str] = &[
    "title",
    "suffix",
    "name prefix",
    "name suffix",
    "nickname",
    "initials",
    "birthday",
    "anniversary",
    "gender",
    "language",
    "priority",
    "sensitivity",
    "private",
    "job title",
    "department",
    "photo",
    "file as",
    "yomi name",
    "phonetic first name",
    "phonetic middle name",
    "phonetic last name",
    "given name yomi",
    "family name yomi",
    "additional name yomi",
    "name yomi",
];

/// Google-style numbered columns ("E-mail 2 - Type", "Phone 3 - Value",
/// "Address 1 - Street"…) and Outlook's second and third addresses and
/// phones: the first of each kind is mapped, the rest skipped.
const KNOWN_UNUSED_PREFIXES: &[&str] = &[
    "e mail ",
    "email ",
    "phone ",
    "address ",
    "organization ",
    "website ",
    "relation ",
    "event ",
    "im ",
    "custom field ",
    "external id ",
    "location ",
    "business ",
    "home ",
    "other ",
    "assistant",
    "car phone",
    "callback",
    "company main phone",
    "isdn",
    "pager",
    "radio phone",
    "telex",
    "tty tdd phone",
    "primary phone",
    "manager",
    "spouse",
    "children",
    "hobby",
    "user ",
    "web page",
    "office location",
    "organizational id",
    "billing information",
    "directory server",
    "mileage",
    "account",
    "referred by",
    "internet free busy",
    "keywords",
    "government id",
    "profession",
];

/// Lower case, every run of punctuation or space as one space: "E-mail 1 - Value" → "e mail 1 value".
pub fn normalize_header(header: &str) -> String {
    let mut out = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

fn field_for(schema: &Schema, header: &str, mapping: &[ColumnMapping]) -> Option<String> {
    if let Some(m) = mapping.iter().find(|m| m.column.trim().eq_ignore_ascii_case(header.trim())) {
        return Some(m.field.trim().to_ascii_lowercase());
    }
    let norm = normalize_header(header);
    if let Some((_, field)) = schema.aliases.iter().copied().flatten().find(|(alias, _)| *alias == norm) {
        return Some(field.to_string());
    }
    if KNOWN_UNUSED.contains(&norm.as_str())
        || schema.unused.contains(&norm.as_str())
        || KNOWN_UNUSED_PREFIXES.iter().any(|p| norm.starts_with(p) || norm == p.trim_end())
    {
        return Some("ignore".into());
    }
    None
}

/// The delimiter the header line uses: comma, semicolon (Excel in many
/// European locales) or tab, whichever appears most outside quotes.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in first_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    match counts.iter().enumerate().max_by_key(|(i, n)| (**n, usize::MAX - i)) {
        Some((1, n)) if *n > 0 => b';',
        Some((2, n)) if *n > 0 => b'\t',
        _ => b',',
    }
}

/// RFC 4180 quoting, strictly: a quote only opens a field, closes it, or is
/// doubled inside it. The csv crate is lenient (it reads `a"b` as text), so
/// a broken file would import as mangled data; this finds the first
/// offence: (line, 0-based field index, what is wrong).
fn check_quoting(bytes: &[u8], delimiter: u8) -> Option<(u64, usize, &'static str)> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut line, mut field, mut state) = (1u64, 0usize, State::FieldStart);
    let (mut open_line, mut open_field) = (1u64, 0usize);
    for &b in bytes {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, b'\n') => {
                line += 1;
                State::Quoted
            }
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::FieldStart, b'"') => {
                (open_line, open_field) = (line, field);
                State::Quoted
            }
            (State::Unquoted, b'"') => return Some((line, field, "has a quote inside an unquoted value")),
            (State::QuoteInQuoted, b'\r') => State::QuoteInQuoted,
            (_, b'\n') => {
                line += 1;
                field = 0;
                State::FieldStart
            }
            (_, d) if d == delimiter => {
                field += 1;
                State::FieldStart
            }
            (State::QuoteInQuoted, _) => return Some((line, field, "has text after the closing quote of a value")),
            (State::FieldStart | State::Unquoted, b'\r') => State::Unquoted,
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
        };
    }
    if state == State::Quoted {
        return Some((open_line, open_field, "opens a quote that is never closed"));
    }
    None
}

/// One row of a CSV file: its line, and per field the first non-empty value
/// with the header it came from.
type Row = (u64, HashMap<String, (String, String)>);

/// A CSV file read against a schema: its headers, the field of each, and
/// the rows that are not all empty.
struct Table {
    headers: Vec<String>,
    columns: Vec<String>,
    rows: Vec<Row>,
}

/// Parses a CSV file of clients: one client per row (a row of empty cells
/// is skipped). `file` names the file in errors; `now` stamps the new
/// records. Nothing is written anywhere.
pub fn parse_clients_csv(
    file: &str,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    now: DateTime<Utc>,
) -> Result<Vec<Client>> {
    let table = read_table(&CLIENTS, file, bytes, mapping)?;
    table.rows.iter().map(|(line, row)| row_to_client(file, *line, row, &table.headers, &table.columns, now)).collect()
}

/// A contact read from a CSV file, with the name of the client it joins.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    /// Its `client_id` is a placeholder until the client is found or made.
    pub contact: Contact,
    pub client_name: String,
    pub line: u64,
}

/// Parses a CSV file of contacts: one contact per row, each naming its
/// client (a row of empty cells is skipped). Nothing is written anywhere.
pub fn parse_contacts_csv(
    file: &str,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    now: DateTime<Utc>,
) -> Result<Vec<ContactRow>> {
    let table = read_table(&CONTACTS, file, bytes, mapping)?;
    table.rows.iter().map(|(line, row)| row_to_contact(file, *line, row, &table.headers, &table.columns, now)).collect()
}

fn read_table(schema: &Schema, file: &str, bytes: &[u8], mapping: &[ColumnMapping]) -> Result<Table> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    for m in mapping {
        if !schema.fields.contains(&m.field.trim().to_ascii_lowercase().as_str()) {
            return Err(Error::validation(
                "map",
                format!("'{}' is not a {} field; use one of: {}", m.field, schema.what, schema.fields.join(", ")),
            ));
        }
    }
    let delimiter = sniff_delimiter(bytes);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(Error::import_invalid(file, Some(1), None, "is empty: no header row")),
        Some(r) => r.map_err(|e| csv_error(file, &e))?,
    };
    let headers: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            String::from_utf8(h.to_vec())
                .map_err(|_| Error::import_invalid(file, Some(1), None, format!("column {} is not UTF-8 text", i + 1)))
        })
        .collect::<Result<_>>()?;
    let headers: Vec<String> = headers.into_iter().map(|h| h.trim().to_string()).collect();
    // Quoting first, so its error wins over the field-count error it causes.
    if let Some((line, field, what)) = check_quoting(bytes, delimiter) {
        let column = headers.get(field).map(String::as_str).filter(|_| line > 1);
        return Err(Error::import_invalid(file, Some(line), column, what));
    }
    let mut columns: Vec<String> = Vec::with_capacity(headers.len());
    for h in &headers {
        match field_for(schema, h, mapping) {
            Some(f) => columns.push(f),
            None => {
                return Err(Error::import_invalid(
                    file,
                    Some(1),
                    Some(h),
                    format!(
                        "unknown column; map it to a {} field with --map \"{h}=FIELD\" ({}), or skip it \
                         with --map \"{h}=ignore\"",
                        schema.what,
                        schema.fields.join(", ")
                    ),
                ))
            }
        }
    }
    for m in mapping {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(m.column.trim())) {
            return Err(Error::import_invalid(file, Some(1), Some(&m.column), "--map names a column this file lacks"));
        }
    }
    for (any_of, message) in schema.required {
        if !columns.iter().any(|c| any_of.contains(&c.as_str())) {
            return Err(Error::import_invalid(file, Some(1), None, *message));
        }
    }

    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            return Err(Error::import_invalid(
                file,
                Some(line),
                None,
                format!("has {} values but the header has {} columns", record.len(), headers.len()),
            ));
        }
        let mut row: HashMap<String, (String, String)> = HashMap::new();
        let mut all_empty = true;
        for ((cell, field), header) in record.iter().zip(&columns).zip(&headers) {
            let cell = std::str::from_utf8(cell).map_err(|_| {
                Error::import_invalid(file, Some(line), Some(header), "is not UTF-8 text; save the file as UTF-8 CSV")
            })?;
            let cell = cell.trim();
            if !cell.is_empty() {
                all_empty = false;
            }
            // The first non-empty column for a field wins.
            if field != "ignore" && !cell.is_empty() && !row.contains_key(field.as_str()) {
                row.insert(field.clone(), (cell.to_string(), header.clone()));
            }
        }
        if all_empty {
            continue;
        }
        rows.push((line, row));
    }
    Ok(Table { headers, columns, rows })
}

fn csv_error(file: &str, e: &csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => Error::import_invalid(
            file,
            line,
            None,
            format!("has {len} values but the header has {expected_len} columns"),
        ),
        csv::ErrorKind::Utf8 { .. } => {
            Error::import_invalid(file, line, None, "is not UTF-8 text; save the file as UTF-8 CSV")
        }
        _ => Error::import_invalid(file, line, None, "could not be read as CSV"),
    }
}

fn row_to_client(
    file: &str,
    line: u64,
    row: &HashMap<String, (String, String)>,
    headers: &[String],
    columns: &[String],
    now: DateTime<Utc>,
) -> Result<Client> {
    let get = |f: &str| row.get(f).map(|(v, _)| v.clone());
    // The header that feeds a field, for errors (even when the cell is empty).
    let header_of = |f: &str| -> Option<String> {
        row.get(f)
            .map(|(_, h)| h.to_string())
            .or_else(|| columns.iter().position(|c| c == f).map(|i| headers[i].clone()))
    };
    let person: Vec<String> = ["first_name", "middle_name", "last_name"].iter().filter_map(|f| get(f)).collect();
    let (name, name_field) = match (get("name"), person.is_empty(), get("company")) {
        (Some(n), _, _) => (n, "name"),
        (None, false, _) => (person.join(" "), if row.contains_key("first_name") { "first_name" } else { "last_name" }),
        (None, true, Some(c)) => (c, "company"),
        (None, true, None) => (String::new(), "name"),
    };
    let kind = match get("kind") {
        Some(k) => match k.to_ascii_lowercase().as_str() {
            "person" | "individual" | "people" => ClientKind::Person,
            "company" | "organization" | "organisation" | "org" | "business" => ClientKind::Company,
            _ => {
                return Err(Error::import_invalid(
                    file,
                    Some(line),
                    header_of("kind").as_deref(),
                    format!("'{k}' is not person or company"),
                ))
            }
        },
        None if name_field == "company" => ClientKind::Company,
        None => ClientKind::Person,
    };
    // Google writes several values in one cell as "a ::: b"; the first is the primary one.
    let first_of = |v: Option<String>| v.map(|v| v.split(":::").next().unwrap_or_default().trim().to_string());
    let tags: Vec<String> = get("tags")
        .map(|t| {
            t.split([',', ';'])
                .flat_map(|t| t.split(":::"))
                .map(|t| t.trim().trim_start_matches("* ").trim().to_string())
                .filter(|t| !t.is_empty() && t != "myContacts")
                .collect()
        })
        .unwrap_or_default();
    let company = if kind == ClientKind::Company && name_field == "company" { None } else { get("company") };
    let mut client = Client {
        meta: new_meta(now),
        kind,
        name,
        email: first_of(get("email")),
        phone: first_of(get("phone")),
        company,
        website: first_of(get("website")),
        country: get("country"),
        notes: get("notes").unwrap_or_default(),
        restricted: false,
        archived_at: None,
        origin: Origin::default(),
        tags,
    };
    client.normalize().map_err(|err| {
        let Error::Validation { field, message } = err else { return err };
        let source = match field.as_str() {
            "name" => name_field,
            "tag" => "tags",
            f => f,
        };
        let header = header_of(source).unwrap_or_else(|| source.to_string());
        let message = if field == "name" && message == "is required" {
            "is empty: a client needs a name (or a first name, last name or company)".to_string()
        } else {
            message
        };
        Error::import_invalid(file, Some(line), Some(&header), message)
    })?;
    Ok(client)
}

fn row_to_contact(
    file: &str,
    line: u64,
    row: &HashMap<String, (String, String)>,
    headers: &[String],
    columns: &[String],
    now: DateTime<Utc>,
) -> Result<ContactRow> {
    let get = |f: &str| row.get(f).map(|(v, _)| v.clone());
    let header_of = |f: &str| -> String {
        row.get(f)
            .map(|(_, h)| h.clone())
            .or_else(|| columns.iter().position(|c| c == f).map(|i| headers[i].clone()))
            .unwrap_or_else(|| f.to_string())
    };
    let person: Vec<String> = ["first_name", "middle_name", "last_name"].iter().filter_map(|f| get(f)).collect();
    let (name, name_field) = match get("name") {
        Some(n) => (n, "name"),
        None if !person.is_empty() => {
            (person.join(" "), if row.contains_key("first_name") { "first_name" } else { "last_name" })
        }
        None => {
            return Err(Error::import_invalid(
                file,
                Some(line),
                Some(&header_of("name")),
                "is empty: a contact needs a name",
            ))
        }
    };
    let Some(client_name) = get("client") else {
        return Err(Error::import_invalid(
            file,
            Some(line),
            Some(&header_of("client")),
            "is empty: each contact needs the name of its client",
        ));
    };
    let client_name = crate::domain::check::required("client", &client_name, crate::domain::check::MAX_NAME).map_err(
        |err| match err {
            Error::Validation { message, .. } => {
                Error::import_invalid(file, Some(line), Some(&header_of("client")), message)
            }
            other => other,
        },
    )?;
    let first_of = |v: Option<String>| v.map(|v| v.split(":::").next().unwrap_or_default().trim().to_string());
    let mut contact = Contact {
        meta: new_meta(now),
        client_id: Id::new_at(now),
        name,
        email: first_of(get("email")),
        phone: first_of(get("phone")),
        role: get("role"),
        notes: get("notes").unwrap_or_default(),
    };
    contact.normalize().map_err(|err| {
        let Error::Validation { field, message } = err else { return err };
        let source = if field == "name" { name_field } else { field.as_str() };
        Error::import_invalid(file, Some(line), Some(&header_of(source)), message)
    })?;
    Ok(ContactRow { contact, client_name, line })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-01T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn google_and_outlook_headers_map_without_help() {
        let google =
            "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Organization 1 - Name,Group Membership\n\
                      ,Ada,Lovelace,* Work,ada@example.org ::: ada@home.example,Analytical Ltd,* myContacts ::: VIP\n";
        let c = parse_clients_csv("g.csv", google.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!(c.name, "Ada Lovelace");
        assert_eq!(c.email.as_deref(), Some("ada@example.org"));
        assert_eq!(c.company.as_deref(), Some("Analytical Ltd"));
        assert_eq!(c.tags, vec!["VIP"]);
        let outlook = "First Name,Last Name,Company,E-mail Address,Business Phone,Business Street\n\
                       Grace,Hopper,Navy,grace@example.org,+1 555 0100,1 Main St\n";
        let c = parse_clients_csv("o.csv", outlook.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!((c.name.as_str(), c.phone.as_deref()), ("Grace Hopper", Some("+1 555 0100")));
    }

    #[test]
    fn a_company_only_row_becomes_a_company() {
        let text = "Company;Country\nACME GmbH;Germany\n";
        let c = parse_clients_csv("c.csv", text.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!((c.kind, c.name.as_str(), c.company), (ClientKind::Company, "ACME GmbH", None));
    }

    #[test]
    fn quoting_errors_name_line_and_column() {
        let text = "Name,Email\nA,a@b.co\n\"B\"x,b@b.co\n";
        let err = parse_clients_csv("q.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert_eq!(err.to_string(), "q.csv line 3, field \"Name\": has text after the closing quote of a value");
        let text = "Name,Email\nA,a@b.co\nB,\"b@b.co\n";
        let err = parse_clients_csv("q.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert_eq!(err.to_string(), "q.csv line 3, field \"Email\": opens a quote that is never closed");
        let text = "Name,Email\n\"Multi\nline\",a@b.co\nB,b\"@b.co\n";
        let err = parse_clients_csv("q.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert_eq!(err.to_string(), "q.csv line 4, field \"Email\": has a quote inside an unquoted value");
    }

    #[test]
    fn google_and_outlook_contact_headers_name_the_contact_its_role_and_client() {
        let google = "Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Organization Name,\
                      Organization 1 - Title,Group Membership\n\
                      Ada,Lovelace,ada@example.org ::: ada@home.example,+44 20 0000,Analytical Ltd,Engineer,* myContacts\n";
        let row = parse_contacts_csv("g.csv", google.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!(row.contact.name, "Ada Lovelace");
        assert_eq!(row.contact.email.as_deref(), Some("ada@example.org"));
        assert_eq!(row.contact.phone.as_deref(), Some("+44 20 0000"));
        assert_eq!(row.contact.role.as_deref(), Some("Engineer"));
        assert_eq!((row.client_name.as_str(), row.line), ("Analytical Ltd", 2));
        let outlook = "First Name,Last Name,Company,E-mail Address,Job Title,Title\n\
                       Grace,Hopper,Navy,grace@example.org,Admiral,Ms\n";
        let row = parse_contacts_csv("o.csv", outlook.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!((row.contact.name.as_str(), row.client_name.as_str()), ("Grace Hopper", "Navy"));
        assert_eq!(row.contact.role.as_deref(), Some("Admiral"));
    }

    #[test]
    fn a_contact_row_without_its_client_or_with_a_bad_email_names_line_and_column() {
        let text = "Name,Company,E-mail Address\nAda,ACME,ada@example.org\nBob,,bob@example.org\n";
        let err = parse_contacts_csv("c.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv line 3, field \"Company\": is empty: each contact needs the name of its client"
        );
        let text = "Name,Company,E-mail Address\nAda,ACME,not-an-email\n";
        let err = parse_contacts_csv("c.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert!(err.to_string().starts_with("c.csv line 2, field \"E-mail Address\": "), "{err}");
        let text = "Name,E-mail Address\nAda,ada@example.org\n";
        let err = parse_contacts_csv("c.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert!(err.to_string().contains("names the contact's client"), "{err}");
        let map: Vec<ColumnMapping> = vec!["E-mail Address=company".parse().unwrap()];
        let err = parse_contacts_csv("c.csv", text.as_bytes(), &map, now()).unwrap_err();
        assert!(err.to_string().contains("is not a contact field"), "{err}");
    }

    #[test]
    fn each_header_alias_means_one_field_of_its_kind() {
        for schema in [&CLIENTS, &CONTACTS] {
            let mut seen = HashMap::new();
            for (alias, field) in schema.aliases.iter().copied().flatten() {
                assert!(schema.fields.contains(field), "{} alias {alias:?} names no {0} field", schema.what);
                assert_eq!(seen.insert(*alias, *field), None, "{} alias {alias:?} is listed twice", schema.what);
            }
        }
    }

    #[test]
    fn mapping_renames_and_ignores_columns() {
        let text = "Who,Mail,Shoe size\nAda,ada@example.org,38\n";
        let err = parse_clients_csv("m.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert!(err.to_string().starts_with("m.csv line 1, field \"Who\": unknown column"), "{err}");
        let map: Vec<ColumnMapping> =
            ["Who=name", "mail=email", "Shoe size=ignore"].iter().map(|m| m.parse().unwrap()).collect();
        let c = parse_clients_csv("m.csv", text.as_bytes(), &map, now()).unwrap().remove(0);
        assert_eq!((c.name.as_str(), c.email.as_deref()), ("Ada", Some("ada@example.org")));
    }
}
