//! vCard 2.1, 3.0 (RFC 2426) and 4.0 (RFC 6350): reading cards into clients,
//! and writing clients and contacts as vCard 3.0, which every address book
//! (Google Contacts, Outlook, Apple Contacts) imports.
//!
//! Hand-written rather than a crate because an import error must name the
//! line it is on, and the subset Bidwell needs is small. Reading takes cards
//! as the big address books write them: folded lines, groups (`item1.EMAIL`),
//! parameters bare (2.1's `TEL;WORK;VOICE:`) or named, escapes;
//! quoted-printable values with soft line breaks and a `CHARSET` (UTF-8 or a
//! legacy one such as ISO-8859-1 or Windows-1252); base64 data (photos, keys)
//! skipped, including 2.1's blocks of unindented lines that end at a blank
//! line; `tel:` URIs with an extension; cards embedded in AGENT skipped.
//! FN, N, ORG, EMAIL, TEL, URL, NOTE, ADR (country), CATEGORIES and KIND
//! are mapped; other properties (PHOTO, BDAY, X-…) have no place in a client.

use chrono::{DateTime, Utc};

use crate::domain::{Client, ClientKind, Contact, Origin};
use crate::error::{Error, Result};
use crate::store::record::new_meta;

/// The physical lines of a file with their 1-based numbers. CRLF is the
/// standard; LF and a lone CR (old Mac files) end a line too, so a CR never
/// ends up inside a value (found by the fuzz target). Some iPhone exports end
/// lines with CR CR LF: one line end, counted as the two an editor shows.
fn physical_lines(bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let (mut start, mut i, mut number) = (0, 0, 1u64);
    while i < bytes.len() {
        let (ends, width, lines) = match bytes[i] {
            b'\n' => (true, 1, 1),
            b'\r' if bytes[i + 1..].starts_with(b"\r\n") => (true, 3, 2),
            b'\r' if bytes[i + 1..].starts_with(b"\n") => (true, 2, 1),
            b'\r' => (true, 1, 1),
            _ => (false, 1, 0),
        };
        if ends {
            out.push((number, &bytes[start..i]));
            start = i + width;
        }
        i += width;
        number += lines;
    }
    if start < bytes.len() {
        out.push((number, &bytes[start..]));
    }
    out
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn starts_folded(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
}

/// Where the value starts: the first colon outside a quoted parameter value.
fn colon_at(line: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    for (i, b) in line.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b':' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

/// The parameters of a property's head (`NAME;P1;P2=v`), upper-cased.
fn head_params(line: &[u8]) -> Vec<String> {
    let head = colon_at(line).map_or(&line[..0], |c| &line[..c]);
    String::from_utf8_lossy(head).to_ascii_uppercase().split(';').skip(1).map(|p| p.trim().to_string()).collect()
}

/// Joins what makes one property: folded lines (starting with a space or
/// tab), quoted-printable soft line breaks (`=` at the end of a line), and
/// the lines of a 2.1 base64 block, which carry no colon and end at a blank
/// line. Blank lines between properties are dropped. Each logical line keeps
/// the number of the line it started on.
fn logical_lines(lines: &[(u64, &[u8])]) -> Vec<(u64, Vec<u8>)> {
    let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (number, first) = lines[i];
        i += 1;
        if is_blank(first) {
            continue;
        }
        if let (true, Some(last)) = (starts_folded(first), out.last_mut()) {
            // A fold after a blank line some editors add.
            last.1.extend_from_slice(&first[1..]);
            continue;
        }
        let params = head_params(first);
        let quoted_printable = params.iter().any(|p| p.ends_with("QUOTED-PRINTABLE"));
        let base64 = params.iter().any(|p| matches!(p.as_str(), "ENCODING=B" | "ENCODING=BASE64" | "BASE64"));
        let mut text = first.to_vec();
        while i < lines.len() {
            if quoted_printable && text.ends_with(b"=") {
                text.pop();
                text.extend_from_slice(lines[i].1);
            } else if starts_folded(lines[i].1) {
                text.extend_from_slice(&lines[i].1[1..]);
            } else {
                break;
            }
            i += 1;
        }
        if base64 {
            while i < lines.len() && !lines[i].1.contains(&b':') {
                i += 1;
                if is_blank(lines[i - 1].1) {
                    break;
                }
            }
        }
        out.push((number, text));
    }
    out
}

/// One property: where it started, its name (without group), its
/// parameters (upper-cased names) and its raw value, not yet decoded.
struct Property {
    line: u64,
    name: String,
    params: Vec<(String, String)>,
    value: Vec<u8>,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value as text: quoted-printable decoded, then read in its CHARSET
    /// (a malformed byte becomes U+FFFD), or as UTF-8. Without a CHARSET a
    /// 2.1 card that is not UTF-8 is read as Windows-1252, the code page
    /// Outlook writes; a 3.0 or 4.0 card must be UTF-8.
    fn text(&self, file: &str, version: Option<&str>) -> Result<String> {
        let quoted = self.param("ENCODING").is_some_and(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
        let bytes = if quoted { decode_quoted_printable(&self.value) } else { self.value.clone() };
        let invalid = |message: String| Error::import_invalid(file, Some(self.line), Some(&self.name), message);
        let text = match self.param("CHARSET") {
            Some(label) => {
                let encoding = encoding_rs::Encoding::for_label(label.trim().as_bytes())
                    .ok_or_else(|| invalid(format!("CHARSET={label} is not a character set Bidwell reads")))?;
                encoding.decode_without_bom_handling(&bytes).0.into_owned()
            }
            None => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) if version == Some("2.1") => {
                    encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned()
                }
                Err(_) => return Err(invalid("is not UTF-8 text; export the cards as UTF-8".into())),
            },
        };
        // A decoded CR would stay in a name that vCard cannot write back.
        Ok(if quoted { text.replace("\r\n", "\n").replace('\r', "\n") } else { text })
    }
}

/// `=XX` hex escapes to bytes; soft line breaks were joined already, and a
/// malformed escape is kept as written.
fn decode_quoted_printable(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if let (b'=', Some(&[hi, lo])) = (value[i], value.get(i + 1..i + 3)) {
            if let (Some(hi), Some(lo)) = (hex(hi), hex(lo)) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

/// 2.1 lets an encoding stand alone (`;QUOTED-PRINTABLE`); any other bare
/// parameter is a type (`TEL;WORK;VOICE:`).
fn bare_param(p: &str) -> (String, String) {
    let upper = p.to_ascii_uppercase();
    match upper.as_str() {
        "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" => ("ENCODING".into(), upper),
        _ => ("TYPE".into(), p.to_string()),
    }
}

fn parse_property(file: &str, line: u64, text: &[u8]) -> Result<Property> {
    let not_a_property = || Error::import_invalid(file, Some(line), None, "is not a vCard property (NAME:value)");
    let colon = colon_at(text).ok_or_else(not_a_property)?;
    let head = String::from_utf8_lossy(&text[..colon]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default();
    let name = name.rsplit('.').next().unwrap_or(name).trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(not_a_property());
    }
    let params = parts
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim().trim_matches('"').to_string()),
            None => bare_param(p.trim()),
        })
        .collect();
    Ok(Property { line, name, params, value: text[colon + 1..].to_vec() })
}

/// Undoes vCard text escaping: \n, \, \; \\.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a structured value on unescaped `sep` (before unescaping the parts).
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            current.push('\\');
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(unescape(&current));
            current.clear();
        } else {
            current.push(c);
        }
    }
    if escaped {
        current.push('\\');
    }
    parts.push(unescape(&current));
    parts
}

/// A TEL value as a phone number. A `tel:` URI (RFC 3966; vCard 4.0's
/// `VALUE=uri`) loses its scheme and parameters, but not an extension:
/// `tel:+1-418-656-9254;ext=102` is "+1-418-656-9254 x102".
fn phone_number(value: &str) -> String {
    let value = value.trim();
    let Some(uri) = value.get(..4).filter(|s| s.eq_ignore_ascii_case("tel:")).map(|_| &value[4..]) else {
        return value.to_string();
    };
    let mut parts = uri.split(';');
    let number = parts.next().unwrap_or_default().trim();
    match parts.find_map(|p| p.trim().strip_prefix("ext=")).filter(|ext| !ext.is_empty()) {
        Some(ext) => format!("{number} x{ext}"),
        None => number.to_string(),
    }
}

#[derive(Default)]
struct Card {
    begin_line: u64,
    version: Option<String>,
    full_name: Option<(u64, String)>,
    structured_name: Option<(u64, String)>,
    org: Option<(u64, String)>,
    email: Option<(u64, String, bool)>,
    phone: Option<(u64, String, bool)>,
    url: Option<(u64, String)>,
    note: Option<(u64, String)>,
    country: Option<(u64, String)>,
    categories: Vec<String>,
    company_kind: bool,
    /// How deep inside cards embedded in this one (2.1 AGENT) the reader is.
    embedded: u32,
    /// The last property was an AGENT whose card follows on the next lines.
    agent_follows: bool,
}

fn is_preferred(params: &[(String, String)]) -> bool {
    params.iter().any(|(k, v)| {
        (k == "TYPE" && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("pref"))) || (k == "PREF" && v.trim() == "1")
    })
}

/// Keeps the first value, or a later one marked preferred over a plain one.
fn keep(slot: &mut Option<(u64, String, bool)>, line: u64, value: String, preferred: bool) {
    if value.trim().is_empty() {
        return;
    }
    match slot {
        Some((_, _, true)) => {}
        Some(_) if !preferred => {}
        _ => *slot = Some((line, value, preferred)),
    }
}

/// Keeps the first non-empty value.
fn first(slot: &mut Option<(u64, String)>, line: u64, value: String) {
    if slot.is_none() && !value.trim().is_empty() {
        *slot = Some((line, value.trim().to_string()));
    }
}

impl Card {
    /// Takes one property of this card into its fields.
    fn take(&mut self, file: &str, prop: &Property) -> Result<()> {
        let line = prop.line;
        let version = self.version.clone();
        let text = || prop.text(file, version.as_deref());
        match prop.name.as_str() {
            "VERSION" => {
                let v = String::from_utf8_lossy(&prop.value).trim().to_string();
                if !matches!(v.as_str(), "2.1" | "3.0" | "4.0") {
                    return Err(Error::import_invalid(
                        file,
                        Some(line),
                        Some("VERSION"),
                        format!("vCard {v} is not supported; export the cards as vCard 2.1, 3.0 or 4.0"),
                    ));
                }
                self.version = Some(v);
            }
            "FN" if self.full_name.is_none() => first(&mut self.full_name, line, unescape(&text()?)),
            "N" if self.structured_name.is_none() => self.structured_name = Some((line, text()?)),
            "ORG" if self.org.is_none() => {
                let name = split_unescaped(&text()?, ';').into_iter().next().unwrap_or_default();
                first(&mut self.org, line, name);
            }
            "EMAIL" => {
                let v = unescape(&text()?);
                let v = v.trim().strip_prefix("mailto:").unwrap_or(v.trim()).to_string();
                keep(&mut self.email, line, v, is_preferred(&prop.params));
            }
            "TEL" => keep(&mut self.phone, line, phone_number(&unescape(&text()?)), is_preferred(&prop.params)),
            "URL" if self.url.is_none() => first(&mut self.url, line, unescape(&text()?)),
            "NOTE" => {
                let note = unescape(&text()?);
                // Android writes a note per line of the contact's notes.
                // Kept as written, not trimmed, as the app keeps notes.
                match &mut self.note {
                    _ if note.trim().is_empty() => {}
                    Some((_, all)) => {
                        all.push('\n');
                        all.push_str(&note);
                    }
                    None => self.note = Some((line, note)),
                }
            }
            "ADR" if self.country.is_none() => {
                let country = split_unescaped(&text()?, ';').into_iter().nth(6).unwrap_or_default();
                first(&mut self.country, line, country);
            }
            "CATEGORIES" => self.categories.extend(
                split_unescaped(&text()?, ',').into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            ),
            "KIND" => self.company_kind = text()?.trim().eq_ignore_ascii_case("org"),
            "X-ABSHOWAS" => self.company_kind = text()?.trim().eq_ignore_ascii_case("COMPANY"),
            _ => {}
        }
        Ok(())
    }
}

/// Parses every card in `bytes` into a client (a person, or a company for
/// `KIND:org` and Apple's `X-ABSHOWAS:COMPANY`), checked as a client made in
/// the app would be. `file` names the file in errors; `now` stamps the new
/// records. Nothing is written anywhere.
pub fn parse_vcards(file: &str, bytes: &[u8], now: DateTime<Utc>) -> Result<Vec<Client>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut clients = Vec::new();
    let mut card: Option<Card> = None;
    for (line, text) in logical_lines(&physical_lines(bytes)) {
        let prop = parse_property(file, line, &text)?;
        let is = |word: &str| prop.value.trim_ascii().eq_ignore_ascii_case(word.as_bytes());
        match (prop.name.as_str(), card.as_mut()) {
            ("BEGIN", None) if is("VCARD") => card = Some(Card { begin_line: line, ..Card::default() }),
            ("BEGIN", Some(c)) if c.embedded > 0 || c.agent_follows => c.embedded += 1,
            ("BEGIN", Some(_)) => {
                return Err(Error::import_invalid(file, Some(line), Some("BEGIN"), "a card starts inside another card"))
            }
            ("END", Some(c)) if c.embedded > 0 => c.embedded -= 1,
            ("END", Some(_)) if is("VCARD") => {
                let done = card.take().unwrap_or_default();
                clients.push(card_to_client(file, done, now)?);
            }
            (_, None) => {
                return Err(Error::import_invalid(
                    file,
                    Some(line),
                    Some(&prop.name),
                    "is outside a card (BEGIN:VCARD … END:VCARD)",
                ))
            }
            (_, Some(c)) if c.embedded > 0 => {}
            (name, Some(c)) => {
                c.take(file, &prop)?;
                c.agent_follows = name == "AGENT" && prop.value.trim_ascii().is_empty();
            }
        }
    }
    if let Some(open) = card {
        return Err(Error::import_invalid(
            file,
            Some(open.begin_line),
            Some("BEGIN"),
            "this card has no END:VCARD; the file is cut short",
        ));
    }
    Ok(clients)
}

/// The client's name and where it came from: FN, else N, else ORG, else
/// the e-mail address or phone number (Android writes cards with nothing else).
fn name_of(card: &Card, org: &Option<(u64, String)>) -> (u64, String, &'static str) {
    let from_n = card.structured_name.as_ref().map(|(line, n)| {
        let parts = split_unescaped(n, ';');
        let get = |i: usize| parts.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        // N is family;given;additional;prefix;suffix.
        let name = [get(3), get(1), get(2), get(0), get(4)]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (*line, name)
    });
    let candidates = [
        (card.full_name.clone(), "FN"),
        (from_n, "N"),
        (org.clone(), "ORG"),
        (card.email.as_ref().map(|(l, e, _)| (*l, e.clone())), "EMAIL"),
        (card.phone.as_ref().map(|(l, p, _)| (*l, p.clone())), "TEL"),
    ];
    candidates
        .into_iter()
        .find_map(|(found, field)| found.filter(|(_, n)| !n.trim().is_empty()).map(|(l, n)| (l, n, field)))
        .unwrap_or((card.begin_line, String::new(), "FN"))
}

fn card_to_client(file: &str, card: Card, now: DateTime<Utc>) -> Result<Client> {
    if card.version.is_none() {
        return Err(Error::import_invalid(
            file,
            Some(card.begin_line),
            Some("VERSION"),
            "this card has no VERSION (2.1, 3.0 or 4.0)",
        ));
    }
    let org = card.org.clone();
    let (name_line, name, name_field) = name_of(&card, &org);
    let company = card.company_kind || (name_field == "ORG");
    let mut client = Client {
        meta: new_meta(now),
        kind: if company { ClientKind::Company } else { ClientKind::Person },
        name,
        email: card.email.as_ref().map(|(_, e, _)| e.clone()),
        phone: card.phone.as_ref().map(|(_, p, _)| p.clone()),
        company: if company { None } else { org.as_ref().map(|(_, o)| o.clone()) },
        website: card.url.as_ref().map(|(_, u)| u.clone()),
        country: card.country.as_ref().map(|(_, c)| c.clone()),
        notes: card.note.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
        restricted: false,
        archived_at: None,
        origin: Origin::default(),
        tags: card.categories.clone(),
        fields: Default::default(),
    };
    client.normalize().map_err(|err| {
        let Error::Validation { field, message } = err else { return err };
        let (line, property) = match field.as_str() {
            "name" => (name_line, name_field),
            "email" => (card.email.as_ref().map_or(card.begin_line, |e| e.0), "EMAIL"),
            "phone" => (card.phone.as_ref().map_or(card.begin_line, |e| e.0), "TEL"),
            "company" => (org.as_ref().map_or(card.begin_line, |e| e.0), "ORG"),
            "website" => (card.url.as_ref().map_or(card.begin_line, |e| e.0), "URL"),
            "country" => (card.country.as_ref().map_or(card.begin_line, |e| e.0), "ADR"),
            "notes" => (card.note.as_ref().map_or(card.begin_line, |e| e.0), "NOTE"),
            "tag" => (card.begin_line, "CATEGORIES"),
            _ => (card.begin_line, "BEGIN"),
        };
        let message = if field == "name" && message == "is required" {
            "the card has no name (FN, N, ORG, EMAIL or TEL)".to_string()
        } else {
            message
        };
        Error::import_invalid(file, Some(line), Some(property), message)
    })?;
    Ok(client)
}

/// vCard text escaping: backslash, comma, semicolon, newline. iCalendar
/// TEXT (RFC 5545 3.3.11) escapes the same, so `ics` shares it.
pub(super) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character), CRLF-terminated.
pub(super) fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// Clients and contacts as vCard 3.0. `all_clients` gives each contact's
/// client name (as ORG).
pub fn write_vcards(clients: &[&Client], contacts: &[&Contact], all_clients: &[Client]) -> String {
    let mut out = String::new();
    for c in clients {
        let mut lines = vec!["BEGIN:VCARD".to_string(), "VERSION:3.0".to_string()];
        lines.push(format!("UID:urn:uuid:{}", c.meta.id));
        lines.push(format!("FN:{}", escape(&c.name)));
        match c.kind {
            ClientKind::Company => {
                lines.push("N:;;;;".to_string());
                lines.push(format!("ORG:{}", escape(&c.name)));
                lines.push("X-ABShowAs:COMPANY".to_string());
            }
            ClientKind::Person => {
                lines.push(format!("N:{};;;;", escape(&c.name)));
                if let Some(company) = &c.company {
                    lines.push(format!("ORG:{}", escape(company)));
                }
            }
        }
        push_common(&mut lines, c.email.as_deref(), c.phone.as_deref(), &c.notes);
        if let Some(url) = &c.website {
            lines.push(format!("URL:{}", escape(url)));
        }
        if let Some(country) = &c.country {
            lines.push(format!("ADR:;;;;;;{}", escape(country)));
        }
        if !c.tags.is_empty() {
            let tags: Vec<String> = c.tags.iter().map(|t| escape(t)).collect();
            lines.push(format!("CATEGORIES:{}", tags.join(",")));
        }
        lines.push("END:VCARD".to_string());
        for line in lines {
            push_folded(&mut out, &line);
        }
    }
    for p in contacts {
        let mut lines = vec!["BEGIN:VCARD".to_string(), "VERSION:3.0".to_string()];
        lines.push(format!("UID:urn:uuid:{}", p.meta.id));
        lines.push(format!("FN:{}", escape(&p.name)));
        lines.push(format!("N:{};;;;", escape(&p.name)));
        if let Some(client) = all_clients.iter().find(|c| c.meta.id == p.client_id) {
            lines.push(format!("ORG:{}", escape(&client.name)));
        }
        if let Some(role) = &p.role {
            lines.push(format!("TITLE:{}", escape(role)));
        }
        push_common(&mut lines, p.email.as_deref(), p.phone.as_deref(), &p.notes);
        lines.push("END:VCARD".to_string());
        for line in lines {
            push_folded(&mut out, &line);
        }
    }
    out
}

fn push_common(lines: &mut Vec<String>, email: Option<&str>, phone: Option<&str>, notes: &str) {
    if let Some(email) = email {
        lines.push(format!("EMAIL;TYPE=INTERNET:{}", escape(email)));
    }
    if let Some(phone) = phone {
        lines.push(format!("TEL:{}", escape(phone)));
    }
    if !notes.is_empty() {
        lines.push(format!("NOTE:{}", escape(notes)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-01T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn folded_lines_escapes_and_groups_are_read() {
        let text =
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë\r\n  Ångström\r\nitem1.EMAIL;TYPE=INTERNET:zoe@example.org\r\n\
                    NOTE:line one\\nline two\\, with comma\r\nEND:VCARD\r\n";
        let clients = parse_vcards("a.vcf", text.as_bytes(), now()).unwrap();
        assert_eq!(clients.len(), 1);
        assert_eq!(clients[0].name, "Zoë Ångström");
        assert_eq!(clients[0].email.as_deref(), Some("zoe@example.org"));
        assert_eq!(clients[0].notes, "line one\nline two, with comma");
    }

    #[test]
    fn written_cards_read_back() {
        let mut client = parse_vcards(
            "a.vcf",
            b"BEGIN:VCARD\nVERSION:4.0\nFN:A; long \\, name that is well over seventy-five octets long, \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\nEMAIL:a@b.co\nEND:VCARD\n",
            now(),
        )
        .unwrap()
        .remove(0);
        client.tags = vec!["x,y".into()];
        let text = write_vcards(&[&client], &[], &[]);
        assert!(text.lines().all(|l| l.len() <= 76), "{text}");
        let back = parse_vcards("b.vcf", text.as_bytes(), now()).unwrap().remove(0);
        assert_eq!((back.name, back.email, back.tags), (client.name, client.email, client.tags));
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        // Fuzz find: "FN:Bob\r:Bob" kept the CR in the name, which vCard cannot write back.
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Bob\r:Bob;;;;\nEND:VCARD\n", now()).unwrap_err();
        assert!(err.to_string().starts_with("c.vcf line 4:"), "{err}");
        let ok = parse_vcards("c.vcf", b"BEGIN:VCARD\rVERSION:3.0\rFN:Bob\rEND:VCARD\r", now()).unwrap();
        assert_eq!(ok[0].name, "Bob");
    }

    #[test]
    fn errors_name_the_line_and_property() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nEMAIL:not-an-email\nEND:VCARD\n";
        let err = parse_vcards("c.vcf", text.as_bytes(), now()).unwrap_err();
        assert_eq!(err.to_string(), "c.vcf line 4, field \"EMAIL\": 'not-an-email' is not an email address");
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:5.0\nFN:x\nEND:VCARD\n", now()).unwrap_err();
        assert!(err.to_string().starts_with("c.vcf line 2, field \"VERSION\""), "{err}");
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:x\n", now()).unwrap_err();
        assert!(err.to_string().contains("no END:VCARD"), "{err}");
    }

    #[test]
    fn vcard_2_1_quoted_printable_charsets_and_bare_parameters_are_read() {
        let text =
            b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n=C3=BCrgen\r\n\
                     NOTE;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Stra=DFe=0D=0Azwei\r\n\
                     ORG;CHARSET=Windows-1252:Caf\x80 \x93Noir\x94\r\n\
                     TEL;WORK;VOICE:+49 30 1234\r\nTEL;CELL;PREF:+49 170 5555\r\nEND:VCARD\r\n";
        let c = parse_vcards("a.vcf", text, now()).unwrap().remove(0);
        assert_eq!(c.name, "J\u{fc}rgen M\u{fc}ller");
        assert_eq!(c.notes, "Stra\u{df}e\nzwei");
        assert_eq!(c.company.as_deref(), Some("Caf\u{20ac} \u{201c}Noir\u{201d}"));
        assert_eq!(c.phone.as_deref(), Some("+49 170 5555"), "PREF as a bare parameter wins");
        let text = b"BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:Ann=0DBee\nEND:VCARD\n";
        assert_eq!(parse_vcards("cr.vcf", text, now()).unwrap()[0].name, "Ann\nBee");
        // Without a CHARSET a 2.1 card that is not UTF-8 is Outlook's Windows-1252.
        let c = parse_vcards("b.vcf", b"BEGIN:VCARD\nVERSION:2.1\nFN:Ren\xe9\nEND:VCARD\n", now()).unwrap();
        assert_eq!(c[0].name, "Ren\u{e9}");
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Ren\xe9\nEND:VCARD\n", now()).unwrap_err();
        assert_eq!(err.to_string(), "c.vcf line 3, field \"FN\": is not UTF-8 text; export the cards as UTF-8");
        let err =
            parse_vcards("d.vcf", b"BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=X-NONE:a\nEND:VCARD\n", now()).unwrap_err();
        assert!(err.to_string().starts_with("d.vcf line 3, field \"FN\": CHARSET=X-NONE"), "{err}");
    }

    #[test]
    fn base64_blocks_of_2_1_and_3_0_are_skipped() {
        let text = "BEGIN:VCARD\nVERSION:2.1\nFN:A\nPHOTO;ENCODING=BASE64;JPEG:/9j/4AAQ\nSkZJRgAB\nAQAAAQ==\n\n\
                    KEY;X509;BASE64:\n    MIIDIT\n    CCAoq\n\nEMAIL:a@b.co\nEND:VCARD\n\
                    BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:B\r\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\r\n AAgAA\r\r\n\
                    TEL:+1 555 0100\r\r\nEND:VCARD\r\r\n";
        let cards = parse_vcards("p.vcf", text.as_bytes(), now()).unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].email.as_deref(), Some("a@b.co"));
        assert_eq!(cards[1].phone.as_deref(), Some("+1 555 0100"));
        // CR CR LF counts as the two lines an editor shows.
        let err = parse_vcards("p.vcf", text.replace("+1 555 0100", "call me").as_bytes(), now()).unwrap_err();
        assert!(err.to_string().starts_with("p.vcf line 24, field \"TEL\""), "{err}");
    }

    #[test]
    fn tel_uris_agents_and_cards_with_only_an_address_are_read() {
        let text = "BEGIN:VCARD\nVERSION:4.0\nFN:Simon\n\
                    TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\n\
                    TEL;VALUE=uri:tel:+1-418-262-6501\nEND:VCARD\n\
                    BEGIN:VCARD\nVERSION:2.1\nFN:Boss\nAGENT:\nBEGIN:VCARD\nVERSION:2.1\nFN:Secretary\nEND:VCARD\n\
                    X-CUSTOM;X-PARAM=1:whatever\nEND:VCARD\n\
                    BEGIN:VCARD\nVERSION:2.1\nEMAIL;PREF:only@example.org\nEND:VCARD\n";
        let cards = parse_vcards("t.vcf", text.as_bytes(), now()).unwrap();
        assert_eq!(cards.len(), 3, "the embedded card is not a client of its own");
        assert_eq!(cards[0].phone.as_deref(), Some("+1-418-656-9254 x102"));
        assert_eq!(cards[1].name, "Boss");
        assert_eq!(cards[2].name, "only@example.org");
    }

    #[test]
    fn notes_on_several_lines_are_joined_as_written_and_read_back_the_same() {
        // Found by mutating the corpus: a trimmed first note and an untrimmed
        // second one made the joined note change on its way back.
        let text = "BEGIN:VCARD\nVERSION:2.1\nFN:A\nNOTE: one \nNOTE:\nNOTE:two \nEND:VCARD\n";
        let client = parse_vcards("n.vcf", text.as_bytes(), now()).unwrap().remove(0);
        assert_eq!(client.notes, " one \ntwo ");
        let back = parse_vcards("b.vcf", write_vcards(&[&client], &[], &[]).as_bytes(), now()).unwrap();
        assert_eq!(back[0].notes, client.notes);
    }
}
