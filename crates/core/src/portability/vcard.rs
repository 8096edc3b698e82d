//! vCard 3.0 (RFC 2426) and 4.0 (RFC 6350): reading cards into clients,
//! and writing clients and contacts as vCard 3.0, which every address book
//! (Google Contacts, Outlook, Apple Contacts) imports.
//!
//! Hand-written rather than a crate because an import error must name the
//! line it is on, and the subset Bidwell needs is small: line unfolding,
//! groups, parameters, escapes; FN, N, ORG, EMAIL, TEL, URL, NOTE, ADR
//! (country), CATEGORIES and KIND. Other properties (PHOTO, BDAY, …) are
//! skipped; they have no place in a client record.

use chrono::{DateTime, Utc};

use crate::domain::{Client, ClientKind, Contact, Origin};
use crate::error::{Error, Result};
use crate::store::record::new_meta;

/// One unfolded content line: where it started, its name (without group),
/// its parameters (upper-cased names) and its raw value.
struct ContentLine<'a> {
    line: u64,
    name: String,
    params: Vec<(String, String)>,
    value: &'a str,
}

/// Joins folded lines (a line starting with a space or tab continues the one
/// before it), keeping the number of the line each logical line started on.
fn unfold(text: &str) -> Vec<(u64, String)> {
    // CRLF is the standard; LF and a lone CR (old Mac files) end a line too,
    // so a CR never ends up inside a value (found by the fuzz target).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        match raw.chars().next() {
            Some(' ' | '\t') if !out.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.1.push_str(&raw[1..]);
                }
            }
            _ => out.push((i as u64 + 1, raw.to_string())),
        }
    }
    out
}

fn parse_line<'a>(file: &str, line: u64, text: &'a str) -> Result<ContentLine<'a>> {
    // The value starts at the first colon outside a quoted parameter value.
    let mut in_quotes = false;
    let mut colon = None;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(colon) = colon else {
        return Err(Error::import_invalid(file, Some(line), None, "is not a vCard property (NAME:value)"));
    };
    let (head, value) = (&text[..colon], &text[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default();
    let name = name.rsplit('.').next().unwrap_or(name).trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::import_invalid(file, Some(line), None, "is not a vCard property (NAME:value)"));
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim().trim_matches('"').to_string()),
            // vCard 2.1 style bare parameter, e.g. "TEL;WORK:…".
            None => ("TYPE".to_string(), p.trim().to_string()),
        })
        .collect();
    Ok(ContentLine { line, name, params, value })
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
}

fn is_preferred(params: &[(String, String)]) -> bool {
    params.iter().any(|(k, v)| {
        (k == "TYPE" && v.split(',').any(|t| t.eq_ignore_ascii_case("pref"))) || (k == "PREF" && v.trim() == "1")
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

/// Parses every card in `bytes` into a client (a person, or a company for
/// `KIND:org` and Apple's `X-ABSHOWAS:COMPANY`), checked as a client made in
/// the app would be. `file` names the file in errors; `now` stamps the new
/// records. Nothing is written anywhere.
pub fn parse_vcards(file: &str, bytes: &[u8], now: DateTime<Utc>) -> Result<Vec<Client>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        Error::import_invalid(file, Some(line), None, "is not UTF-8 text; export the cards as UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut clients = Vec::new();
    let mut card: Option<Card> = None;
    for (line, content) in unfold(text) {
        if content.trim().is_empty() {
            continue;
        }
        let prop = parse_line(file, line, &content)?;
        let value = prop.value;
        match (prop.name.as_str(), card.as_mut()) {
            ("BEGIN", None) if value.trim().eq_ignore_ascii_case("VCARD") => {
                card = Some(Card { begin_line: line, ..Card::default() });
            }
            ("BEGIN", Some(_)) => {
                return Err(Error::import_invalid(file, Some(line), Some("BEGIN"), "a card starts inside another card"))
            }
            ("END", Some(_)) if value.trim().eq_ignore_ascii_case("VCARD") => {
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
            (name, Some(c)) => {
                let field_line = prop.line;
                match name {
                    "VERSION" => {
                        let v = value.trim();
                        if v != "3.0" && v != "4.0" {
                            return Err(Error::import_invalid(
                                file,
                                Some(line),
                                Some("VERSION"),
                                format!("vCard {v} is not supported; export the cards as vCard 3.0 or 4.0"),
                            ));
                        }
                        c.version = Some(v.to_string());
                    }
                    "FN" => c.full_name = Some((field_line, unescape(value))),
                    "N" => c.structured_name = Some((field_line, value.to_string())),
                    "ORG" => {
                        let first = split_unescaped(value, ';').into_iter().next().unwrap_or_default();
                        c.org = Some((field_line, first));
                    }
                    "EMAIL" => {
                        let v = unescape(value);
                        let v = v.trim().strip_prefix("mailto:").unwrap_or(v.trim()).to_string();
                        keep(&mut c.email, field_line, v, is_preferred(&prop.params));
                    }
                    "TEL" => {
                        let v = unescape(value);
                        let v = v.trim().strip_prefix("tel:").unwrap_or(v.trim()).to_string();
                        keep(&mut c.phone, field_line, v, is_preferred(&prop.params));
                    }
                    "URL" if c.url.is_none() => c.url = Some((field_line, unescape(value).trim().to_string())),
                    "NOTE" => c.note = Some((field_line, unescape(value))),
                    "ADR" if c.country.is_none() => {
                        let country = split_unescaped(value, ';').into_iter().nth(6).unwrap_or_default();
                        if !country.trim().is_empty() {
                            c.country = Some((field_line, country.trim().to_string()));
                        }
                    }
                    "CATEGORIES" => c.categories.extend(
                        split_unescaped(value, ',').into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
                    ),
                    "KIND" => c.company_kind = value.trim().eq_ignore_ascii_case("org"),
                    "X-ABSHOWAS" => c.company_kind = value.trim().eq_ignore_ascii_case("COMPANY"),
                    _ => {}
                }
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

fn card_to_client(file: &str, card: Card, now: DateTime<Utc>) -> Result<Client> {
    if card.version.is_none() {
        return Err(Error::import_invalid(
            file,
            Some(card.begin_line),
            Some("VERSION"),
            "this card has no VERSION (3.0 or 4.0)",
        ));
    }
    let org = card.org.clone().filter(|(_, o)| !o.trim().is_empty());
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
    let (name_line, name, name_field) = match (&card.full_name, &from_n, &org) {
        (Some((l, n)), _, _) if !n.trim().is_empty() => (*l, n.clone(), "FN"),
        (_, Some((l, n)), _) if !n.is_empty() => (*l, n.clone(), "N"),
        (_, _, Some((l, o))) => (*l, o.clone(), "ORG"),
        _ => (card.begin_line, String::new(), "FN"),
    };
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
            "the card has no name (FN, N or ORG)".to_string()
        } else {
            message
        };
        Error::import_invalid(file, Some(line), Some(property), message)
    })?;
    Ok(client)
}

/// vCard text escaping: backslash, comma, semicolon, newline.
fn escape(value: &str) -> String {
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
fn push_folded(out: &mut String, line: &str) {
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
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:2.1\nFN:x\nEND:VCARD\n", now()).unwrap_err();
        assert!(err.to_string().starts_with("c.vcf line 2, field \"VERSION\""), "{err}");
        let err = parse_vcards("c.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:x\n", now()).unwrap_err();
        assert!(err.to_string().contains("no END:VCARD"), "{err}");
    }
}
