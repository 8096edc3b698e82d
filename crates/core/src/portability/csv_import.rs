//! CSV files of clients, or of contacts, from other tools: which header
//! means which field (aliases for Google Contacts' classic and current
//! exports, Outlook's in English and German, Upwork and Freelancer style
//! exports, plus the user's own `--map COLUMN=field`), strict quoting, and
//! every row checked as a record made in the app would be. A column no
//! alias knows is left out and reported ([`CsvMapping::unmapped`]), never
//! an error, and its values are handed back ([`UnmappedValues`]) for the
//! importer to keep as custom fields when the user asks. When several
//! columns can fill one field (Outlook's "E-mail Address" and "E-mail 2
//! Address", its many phones), each row takes the first that is not empty,
//! in a fixed order of preference. A contact row
//! names its client in a column ("Company", "Organization Name", "Client");
//! joining it to a client is the importer's job. Files that are not UTF-8
//! are read as Excel and Outlook save them: UTF-16 with its byte order mark,
//! or else Windows-1252. Errors name the file, the line and the column as
//! the user's file spells it.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{ColumnMapping, CsvMapping};
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
/// appears twice within a kind. Where several columns fill one field, the
/// one listed first is tried first (then Google's numbered columns, see
/// [`NUMBERED`]): Outlook's "Primary Phone" before "Mobile Phone" before
/// "Business Phone".
const PERSON_ALIASES: &[(&str, &str)] = &[
    ("name", "name"),
    ("full name", "name"),
    ("display name", "name"),
    ("contact name", "name"),
    ("first name", "first_name"),
    ("given name", "first_name"),
    ("firstname", "first_name"),
    ("vorname", "first_name"),
    ("middle name", "middle_name"),
    ("additional name", "middle_name"),
    ("weitere vornamen", "middle_name"),
    ("last name", "last_name"),
    ("family name", "last_name"),
    ("surname", "last_name"),
    ("lastname", "last_name"),
    ("nachname", "last_name"),
    ("email", "email"),
    ("e mail", "email"),
    ("email address", "email"),
    ("e mail address", "email"),
    ("primary email", "email"),
    ("e mail adresse", "email"),
    ("phone", "phone"),
    ("telephone", "phone"),
    ("phone number", "phone"),
    ("primary phone", "phone"),
    ("haupttelefon", "phone"),
    ("mobile", "phone"),
    ("mobile phone", "phone"),
    ("mobiltelefon", "phone"),
    ("business phone", "phone"),
    ("telefon geschäftlich", "phone"),
    ("company main phone", "phone"),
    ("telefon firma", "phone"),
    ("home phone", "phone"),
    ("telefon privat", "phone"),
    ("business phone 2", "phone"),
    ("telefon geschäftlich 2", "phone"),
    ("mobile phone 2", "phone"),
    ("mobiltelefon 2", "phone"),
    ("home phone 2", "phone"),
    ("telefon privat 2", "phone"),
    ("other phone", "phone"),
    ("weiteres telefon", "phone"),
    ("car phone", "phone"),
    ("autotelefon", "phone"),
    ("notes", "notes"),
    ("note", "notes"),
    ("notizen", "notes"),
    ("description", "notes"),
];

/// Header aliases of a clients file only (beside [`PERSON_ALIASES`]). Google
/// Contacts ("Given Name", "Organization 1 - Name", "Group Membership"),
/// Outlook ("Company", "Business Country/Region", "Categories"), and the
/// client lists of marketplaces ("Client", "Client Name", "Team", "Employer").
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
    ("firma", "company"),
    ("website", "website"),
    ("web site", "website"),
    ("web page", "website"),
    ("webseite", "website"),
    ("url", "website"),
    ("personal web page", "website"),
    ("country", "country"),
    ("country region", "country"),
    ("business country region", "country"),
    ("business country", "country"),
    ("land region geschäftlich", "country"),
    ("home country region", "country"),
    ("home country", "country"),
    ("land region privat", "country"),
    ("other country region", "country"),
    ("client country", "country"),
    ("employer country", "country"),
    ("tags", "tags"),
    ("labels", "tags"),
    ("categories", "tags"),
    ("kategorien", "tags"),
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
    ("client", "client"),
    ("client name", "client"),
    ("company", "client"),
    ("company name", "client"),
    ("organization", "client"),
    ("organisation", "client"),
    ("organization name", "client"),
    ("firma", "client"),
    ("employer", "client"),
    ("employer name", "client"),
    ("team", "client"),
    ("team name", "client"),
    ("account name", "client"),
];

/// Google's numbered columns, "E-mail 2 - Value", "Phone 3 - Value", and
/// Outlook's "E-mail 2 Address": (before the number, after it, the field).
/// They are tried after every named alias, by their number. A field the
/// kind lacks (a contact's website) leaves the column unmapped.
const NUMBERED: &[(&str, &str, &str)] = &[
    ("e mail", "value", "email"),
    ("email", "value", "email"),
    ("e mail", "address", "email"),
    ("e mail", "adresse", "email"),
    ("phone", "value", "phone"),
    ("organization", "name", "company"),
    ("organization", "title", "role"),
    ("website", "value", "website"),
    ("address", "country", "country"),
];

/// What the rows of a CSV file become.
struct Schema {
    /// "client" or "contact", for messages.
    what: &'static str,
    fields: &'static [&'static str],
    /// Header aliases, searched as one list: [`PERSON_ALIASES`] and the kind's own.
    aliases: &'static [&'static [(&'static str, &'static str)]],
    /// The kind's name for a field [`NUMBERED`] names ("company" is a contact's "client").
    renamed: &'static [(&'static str, &'static str)],
    /// Aliases tried only after the numbered columns: a marketplace's
    /// "Location" is the client's country, Google's and Outlook's is a
    /// free text that must not beat their own country columns.
    last_resort: &'static [(&'static str, &'static str)],
    /// Each entry: the header must have a column for one of these fields, or
    /// the import is refused with the message.
    required: &'static [(&'static [&'static str], &'static str)],
}

const CLIENTS: Schema = Schema {
    what: "client",
    fields: FIELDS,
    aliases: &[PERSON_ALIASES, CLIENT_ALIASES],
    renamed: &[],
    last_resort: &[("location", "country")],
    required: &[(
        &["name", "first_name", "last_name", "company", "email"],
        "no column gives a name (name, first name, last name, company or e-mail); map one with --map",
    )],
};

const CONTACTS: Schema = Schema {
    what: "contact",
    fields: CONTACT_FIELDS,
    aliases: &[PERSON_ALIASES, CONTACT_ALIASES],
    renamed: &[("company", "client")],
    last_resort: &[],
    required: &[
        (&["name", "first_name", "last_name"], "no column gives the contact's name (name, first name or last name); map one with --map"),
        (&["client"], "no column names the contact's client (client, company or organization name); map one with --map \"COLUMN=client\""),
    ],
};

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

/// A [`NUMBERED`] column's field and number.
fn numbered(norm: &str) -> Option<(&'static str, u32)> {
    NUMBERED.iter().find_map(|(before, after, field)| {
        let rest = norm.strip_prefix(before)?.strip_prefix(' ')?;
        let n = rest.strip_suffix(after)?.strip_suffix(' ')?;
        n.parse::<u32>().ok().map(|n| (*field, n))
    })
}

/// Where a column comes when several fill one field (lower first).
type Precedence = u32;

/// The field a column fills and its precedence: the user's `--map` first,
/// then the aliases in their order, then numbered columns by number, then
/// the last-resort aliases.
/// `None`: the column is not imported (unknown, or mapped to `ignore`).
fn field_for(schema: &Schema, header: &str, mapping: &[ColumnMapping]) -> Option<(String, Precedence)> {
    if let Some(m) = mapping.iter().find(|m| m.column.trim().eq_ignore_ascii_case(header.trim())) {
        let field = m.field.trim().to_ascii_lowercase();
        return (field != "ignore").then_some((field, 0));
    }
    let norm = normalize_header(header);
    let aliases = schema.aliases.iter().copied().flatten();
    if let Some((i, (_, field))) = aliases.enumerate().find(|(_, (alias, _))| *alias == norm) {
        return Some((field.to_string(), 1 + i as Precedence));
    }
    if let Some((i, (_, field))) = schema.last_resort.iter().enumerate().find(|(_, (alias, _))| *alias == norm) {
        return Some((field.to_string(), 100_000 + i as Precedence));
    }
    let (field, n) = numbered(&norm)?;
    let field = schema.renamed.iter().find(|(from, _)| *from == field).map_or(field, |(_, to)| to);
    schema.fields.contains(&field).then(|| (field.to_string(), 1000 + n.min(90_000)))
}

/// The bytes as UTF-8: as they are, less a byte order mark; UTF-16 with its
/// mark (Excel's "Unicode text"); else the Windows code page Excel and
/// Outlook write in Western Europe and the Americas, Windows-1252.
fn as_utf8(bytes: &[u8]) -> Cow<'_, [u8]> {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) if encoding == encoding_rs::UTF_8 => Cow::Borrowed(&bytes[bom..]),
        Some((encoding, bom)) => {
            Cow::Owned(encoding.decode_without_bom_handling(&bytes[bom..]).0.into_owned().into_bytes())
        }
        None if std::str::from_utf8(bytes).is_ok() => Cow::Borrowed(bytes),
        None => Cow::Owned(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned().into_bytes()),
    }
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

/// The values of the columns no field takes, for keeping them as custom
/// fields (the importer's choice). A column the user mapped to `ignore` is
/// not among them: that is a choice already made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnmappedValues {
    /// Each such column: its position in the file (0-based) and its header
    /// as the file spells it, in file order.
    pub columns: Vec<(usize, String)>,
    /// Per record read, in the order of the records: its line, and its
    /// non-empty cells of those columns (an index into `columns`, the
    /// value trimmed).
    pub rows: Vec<(u64, Vec<(usize, String)>)>,
}

/// A CSV file read against a schema: its headers, the field of each
/// ("ignore" when it fills none), what was chosen, and the rows that are
/// not all empty.
struct Table {
    headers: Vec<String>,
    columns: Vec<String>,
    mapping: CsvMapping,
    rows: Vec<Row>,
    unmapped: UnmappedValues,
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
    read_clients_csv(file, bytes, mapping, now).map(|(clients, _, _)| clients)
}

/// [`parse_clients_csv`], with the mapping it chose and the values of the
/// columns it left out (a row of them per client).
pub fn read_clients_csv(
    file: &str,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    now: DateTime<Utc>,
) -> Result<(Vec<Client>, CsvMapping, UnmappedValues)> {
    let table = read_table(&CLIENTS, file, bytes, mapping)?;
    let clients = table
        .rows
        .iter()
        .map(|(line, row)| row_to_client(file, *line, row, &table.headers, &table.columns, now))
        .collect::<Result<_>>()?;
    Ok((clients, table.mapping, table.unmapped))
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
    read_contacts_csv(file, bytes, mapping, now).map(|(rows, _, _)| rows)
}

/// [`parse_contacts_csv`], with the mapping it chose and the values of the
/// columns it left out (a row of them per contact).
pub fn read_contacts_csv(
    file: &str,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    now: DateTime<Utc>,
) -> Result<(Vec<ContactRow>, CsvMapping, UnmappedValues)> {
    let table = read_table(&CONTACTS, file, bytes, mapping)?;
    let rows = table
        .rows
        .iter()
        .map(|(line, row)| row_to_contact(file, *line, row, &table.headers, &table.columns, now))
        .collect::<Result<_>>()?;
    Ok((rows, table.mapping, table.unmapped))
}

fn check_mapping(schema: &Schema, mapping: &[ColumnMapping]) -> Result<()> {
    for m in mapping {
        if !schema.fields.contains(&m.field.trim().to_ascii_lowercase().as_str()) {
            return Err(Error::validation(
                "map",
                format!("'{}' is not a {} field; use one of: {}", m.field, schema.what, schema.fields.join(", ")),
            ));
        }
    }
    Ok(())
}

/// The columns' fields, the order in which a row tries them (by precedence,
/// then as the file has them), and the mapping as the user is shown it:
/// by field in [`Schema::fields`] order, each field's columns in the order tried.
fn choose_columns(
    schema: &Schema,
    headers: &[String],
    mapping: &[ColumnMapping],
) -> (Vec<String>, Vec<usize>, CsvMapping) {
    let chosen: Vec<Option<(String, Precedence)>> = headers.iter().map(|h| field_for(schema, h, mapping)).collect();
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by_key(|&i| chosen[i].as_ref().map_or(Precedence::MAX, |(_, p)| *p));
    let rank = |f: &str| schema.fields.iter().position(|x| *x == f).unwrap_or(usize::MAX);
    let mut mapped: Vec<&usize> = order.iter().filter(|&&i| chosen[i].is_some()).collect();
    mapped.sort_by_key(|&&i| chosen[i].as_ref().map(|(f, _)| rank(f)));
    let report = CsvMapping {
        mapped: mapped
            .into_iter()
            .filter_map(|&i| {
                chosen[i].as_ref().map(|(f, _)| ColumnMapping { column: headers[i].clone(), field: f.clone() })
            })
            .collect(),
        unmapped: headers.iter().zip(&chosen).filter(|(_, c)| c.is_none()).map(|(h, _)| h.clone()).collect(),
    };
    let columns = chosen.into_iter().map(|c| c.map_or_else(|| "ignore".to_string(), |(f, _)| f)).collect();
    (columns, order, report)
}

fn read_table(schema: &Schema, file: &str, bytes: &[u8], mapping: &[ColumnMapping]) -> Result<Table> {
    check_mapping(schema, mapping)?;
    let bytes = as_utf8(bytes);
    let bytes = bytes.as_ref();
    let delimiter = sniff_delimiter(bytes);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(Error::import_invalid(file, Some(1), None, "is empty: no header row")),
        Some(r) => r.map_err(|e| csv_error(file, &e))?,
    };
    // Valid UTF-8 by now (as_utf8).
    let headers: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    // Quoting first, so its error wins over the field-count error it causes.
    if let Some((line, field, what)) = check_quoting(bytes, delimiter) {
        let column = headers.get(field).map(String::as_str).filter(|_| line > 1);
        return Err(Error::import_invalid(file, Some(line), column, what));
    }
    for m in mapping {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(m.column.trim())) {
            return Err(Error::import_invalid(file, Some(1), Some(&m.column), "--map names a column this file lacks"));
        }
    }
    let (columns, order, chosen) = choose_columns(schema, &headers, mapping);
    for (any_of, message) in schema.required {
        if !columns.iter().any(|c| any_of.contains(&c.as_str())) {
            return Err(Error::import_invalid(file, Some(1), None, *message));
        }
    }
    // Unmapped, and not sent to `ignore` by the user's own map.
    let kept: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| {
            columns[*i] == "ignore" && !mapping.iter().any(|m| m.column.trim().eq_ignore_ascii_case(h.trim()))
        })
        .map(|(i, h)| (i, h.clone()))
        .collect();
    let mut unmapped = UnmappedValues { columns: kept, rows: Vec::new() };
    let mut rows = Vec::new();
    // Lines counted here: the csv crate's miss CRLF line ends.
    let (mut line, mut counted_to) = (1u64, 0usize);
    for record in records {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize).clamp(counted_to, bytes.len());
        // With CRLF the position is that of the LF before the record.
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        line += bytes[counted_to..start].iter().filter(|b| **b == b'\n').count() as u64;
        counted_to = start;
        if let Some(row) = read_row(file, line, &record, &headers, &columns, &order)? {
            let cells = unmapped
                .columns
                .iter()
                .enumerate()
                .filter_map(|(k, (i, _))| {
                    let cell = String::from_utf8_lossy(record.get(*i).unwrap_or_default());
                    let cell = cell.trim();
                    (!cell.is_empty()).then(|| (k, cell.to_string()))
                })
                .collect();
            unmapped.rows.push((line, cells));
            rows.push(row);
        }
    }
    Ok(Table { headers, columns, mapping: chosen, rows, unmapped })
}

/// One record's fields (the record starts on `line`), each from the first
/// column in `order` that is not empty; `None` for a row of empty cells.
fn read_row(
    file: &str,
    line: u64,
    record: &csv::ByteRecord,
    headers: &[String],
    columns: &[String],
    order: &[usize],
) -> Result<Option<Row>> {
    // Outlook leaves out a row's trailing empty cells; more cells than
    // columns would be values with no column to go to.
    if record.len() > headers.len() {
        return Err(Error::import_invalid(
            file,
            Some(line),
            None,
            format!("has {} values but the header has {} columns", record.len(), headers.len()),
        ));
    }
    let mut row: HashMap<String, (String, String)> = HashMap::new();
    let mut all_empty = true;
    for &i in order {
        let cell = String::from_utf8_lossy(record.get(i).unwrap_or_default());
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        all_empty = false;
        let field = &columns[i];
        if field != "ignore" && !row.contains_key(field.as_str()) {
            row.insert(field.clone(), (cell.to_string(), headers[i].clone()));
        }
    }
    Ok((!all_empty).then_some((line, row)))
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
    // Google's "a ::: b" cells: the first value is the primary one.
    let first_of = |v: Option<String>| v.map(|v| v.split(":::").next().unwrap_or_default().trim().to_string());
    // A row with only an address (Outlook keeps such contacts) is named by it.
    let (name, name_field) = match (get("name"), person.is_empty(), get("company"), first_of(get("email"))) {
        (Some(n), _, _, _) => (n, "name"),
        (None, false, _, _) => {
            (person.join(" "), if row.contains_key("first_name") { "first_name" } else { "last_name" })
        }
        (None, true, Some(c), _) => (c, "company"),
        (None, true, None, Some(e)) => (e, "email"),
        (None, true, None, None) => (String::new(), "name"),
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
    let tags: Vec<String> = get("tags")
        .map(|t| {
            t.split([',', ';'])
                .flat_map(|t| t.split(":::"))
                .map(|t| t.trim().trim_start_matches("* ").trim().to_string())
                .filter(|t| !t.is_empty() && !is_system_group(t))
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
        fields: Default::default(),
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
            "is empty: a client needs a name (or a first name, last name, company or e-mail)".to_string()
        } else {
            message
        };
        Error::import_invalid(file, Some(line), Some(&header), message)
    })?;
    Ok(client)
}

/// Google's own groups, which every contact is in: not tags.
fn is_system_group(group: &str) -> bool {
    let squeezed: String = group.chars().filter(|c| !c.is_whitespace()).collect();
    squeezed.eq_ignore_ascii_case("mycontacts") || squeezed.eq_ignore_ascii_case("starred")
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
        fields: Default::default(),
        tags: Default::default(),
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
    fn a_row_with_only_e_mail_addresses_is_named_by_the_first() {
        let text = "E-mail Address,E-mail 2 Address\nada@example.org,ada@home.example\n";
        let c = parse_clients_csv("e.csv", text.as_bytes(), &[], now()).unwrap().remove(0);
        assert_eq!(
            (c.kind, c.name.as_str(), c.email.as_deref()),
            (ClientKind::Person, "ada@example.org", Some("ada@example.org"))
        );
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
            for (alias, field) in schema.aliases.iter().copied().flatten().chain(schema.last_resort) {
                assert!(schema.fields.contains(field), "{} alias {alias:?} names no {0} field", schema.what);
                assert_eq!(seen.insert(*alias, *field), None, "{} alias {alias:?} is listed twice", schema.what);
            }
        }
    }

    #[test]
    fn mapping_renames_and_ignores_columns() {
        let text = "Who,Mail,Shoe size\nAda,ada@example.org,38\n";
        let err = parse_clients_csv("m.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert!(err.to_string().starts_with("m.csv line 1: no column gives a name"), "{err}");
        let map: Vec<ColumnMapping> =
            ["Who=name", "mail=email", "Shoe size=ignore"].iter().map(|m| m.parse().unwrap()).collect();
        let (mut clients, mapping, _) = read_clients_csv("m.csv", text.as_bytes(), &map, now()).unwrap();
        let c = clients.remove(0);
        assert_eq!((c.name.as_str(), c.email.as_deref()), ("Ada", Some("ada@example.org")));
        assert_eq!(mapping.unmapped, vec!["Shoe size"]);
    }

    fn columns(mapping: &CsvMapping, field: &str) -> Vec<String> {
        mapping.mapped.iter().filter(|m| m.field == field).map(|m| m.column.clone()).collect()
    }

    #[test]
    fn unknown_columns_are_left_out_and_reported_and_the_best_column_wins() {
        // Outlook's desktop header, every column, in its order.
        let header = "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,\
            Business Street 2,Business Street 3,Business City,Business State,Business Postal Code,\
            Business Country/Region,Home Street,Home Street 2,Home Street 3,Home City,Home State,Home Postal Code,\
            Home Country/Region,Other Street,Other Street 2,Other Street 3,Other City,Other State,\
            Other Postal Code,Other Country/Region,Assistant's Phone,Business Fax,Business Phone,\
            Business Phone 2,Callback,Car Phone,Company Main Phone,Home Fax,Home Phone,Home Phone 2,ISDN,\
            Mobile Phone,Other Fax,Other Phone,Pager,Primary Phone,Radio Phone,TTY/TDD Phone,Telex,Account,\
            Anniversary,Assistant's Name,Billing Information,Birthday,Business Address PO Box,Categories,\
            Children,Directory Server,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,\
            E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,E-mail 3 Display Name,Gender,\
            Government ID Number,Hobby,Home Address PO Box,Initials,Internet Free Busy,Keywords,Language,\
            Location,Manager's Name,Mileage,Notes,Office Location,Organizational ID Number,\
            Other Address PO Box,Priority,Private,Profession,Referred By,Sensitivity,Spouse,User 1,User 2,\
            User 3,User 4,Web Page";
        let n = header.split(',').count();
        let mut cells = vec![String::new(); n];
        let at = |name: &str| header.split(',').position(|h| h == name).unwrap();
        for (column, value) in [
            ("First Name", "Grace"),
            ("Last Name", "Hopper"),
            ("Business Phone", "+1 555 0100"),
            ("Mobile Phone", "+1 555 0199"),
            ("E-mail 2 Address", "second@example.org"),
            ("E-mail Address", "grace@example.org"),
            ("Home Country/Region", "USA"),
            ("Location", "Building 5"),
        ] {
            cells[at(column)] = value.to_string();
        }
        let text = format!("{header}\r\n{}\r\n", cells.join(","));
        let (clients, mapping, _) = read_clients_csv("o.csv", text.as_bytes(), &[], now()).unwrap();
        let c = &clients[0];
        assert_eq!(c.name, "Grace Hopper");
        assert_eq!(c.email.as_deref(), Some("grace@example.org"), "E-mail Address before E-mail 2 Address");
        assert_eq!(c.phone.as_deref(), Some("+1 555 0199"), "Mobile Phone before Business Phone");
        assert_eq!(c.country.as_deref(), Some("USA"), "Outlook's Location is no country");
        assert_eq!(columns(&mapping, "email"), ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"]);
        assert_eq!(columns(&mapping, "phone")[..3], ["Primary Phone", "Mobile Phone", "Business Phone"]);
        assert!(mapping.unmapped.contains(&"E-mail Display Name".to_string()), "{:?}", mapping.unmapped);
        assert_eq!(mapping.mapped.len() + mapping.unmapped.len(), n, "every column is reported once");
    }

    #[test]
    fn a_map_goes_before_every_alias() {
        let text = "E-mail Address,E-mail 2 Address,Name,Notes\nfirst@example.org,second@example.org,Ada,x\n";
        let map: Vec<ColumnMapping> =
            ["E-mail 2 Address=email", "Notes=ignore"].iter().map(|m| m.parse().unwrap()).collect();
        let (clients, mapping, _) = read_clients_csv("m.csv", text.as_bytes(), &map, now()).unwrap();
        assert_eq!((clients[0].email.as_deref(), clients[0].notes.as_str()), (Some("second@example.org"), ""));
        assert_eq!(columns(&mapping, "email"), ["E-mail 2 Address", "E-mail Address"]);
        assert_eq!(mapping.unmapped, ["Notes"]);
    }

    #[test]
    fn a_short_row_is_padded_and_a_long_row_refused_on_its_line() {
        let text = "Name,E-mail,Notes\r\nAda,ada@example.org\r\n\"Bob\r\nBobson\",b@example.org,x,y\r\n";
        let err = parse_clients_csv("r.csv", text.as_bytes(), &[], now()).unwrap_err();
        assert_eq!(err.to_string(), "r.csv line 3: has 4 values but the header has 3 columns");
        let c = parse_clients_csv("r.csv", b"Name,E-mail,Notes\nAda,ada@example.org\n", &[], now()).unwrap();
        assert_eq!((c[0].email.as_deref(), c[0].notes.as_str()), (Some("ada@example.org"), ""));
    }

    #[test]
    fn a_csv_that_is_not_utf8_is_read_as_windows_1252_or_utf16() {
        let latin =
            b"Vorname;Nachname;E-Mail-Adresse;Telefon gesch\xe4ftlich\r\nJ\xfcrgen;Wei\xdf;jw@example.de;040 123\r\n";
        let c = parse_clients_csv("d.csv", latin, &[], now()).unwrap().remove(0);
        assert_eq!((c.name.as_str(), c.phone.as_deref()), ("J\u{fc}rgen Wei\u{df}", Some("040 123")));
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("Name\tE-mail\nZo\u{eb}\tzoe@example.org\n".encode_utf16().flat_map(u16::to_le_bytes));
        let c = parse_clients_csv("u.csv", &utf16, &[], now()).unwrap().remove(0);
        assert_eq!((c.name.as_str(), c.email.as_deref()), ("Zo\u{eb}", Some("zoe@example.org")));
    }
}
