//! Printing results: compact JSON with `--json`, short readable text otherwise.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use bidwell_core::*;
use serde::Serialize;
use serde_json::Value;

/// `println!` for the command's output. A reader that stops early
/// (`bidwell client list | head`) ends the command as it ends a Unix filter,
/// with status 141 (128 + SIGPIPE) and no panic; see [`write_line`].
macro_rules! say {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// The status a shell reports for a process ended by SIGPIPE.
const READER_GONE: u8 = 128 + 13;

/// The exit status once stdout could not be written (0: it could).
static OUTPUT_FAILED: AtomicU8 = AtomicU8::new(0);

/// Writes one line to stdout. Once a write fails, the rest of the output is
/// skipped and [`failed_status`] says how the command must end. It does not
/// exit here: the command finishes (a change it makes is whole either way)
/// and `main` locks the workspace first, so no process ends with the
/// database open and its connection threads still running.
pub fn write_line(line: std::fmt::Arguments<'_>) {
    if OUTPUT_FAILED.load(Ordering::Relaxed) != 0 {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        let status = if e.kind() == std::io::ErrorKind::BrokenPipe {
            READER_GONE
        } else {
            eprintln!("error: could not write the output: {e}");
            1
        };
        OUTPUT_FAILED.store(status, Ordering::Relaxed);
    }
}

/// The exit status a failed write to stdout calls for, if one failed: 141
/// when the reader left, 1 otherwise.
pub fn failed_status() -> Option<u8> {
    match OUTPUT_FAILED.load(Ordering::Relaxed) {
        0 => None,
        status => Some(status),
    }
}

pub struct Output {
    pub json: bool,
}

/// One line per record in a list.
pub trait Line {
    fn line(&self) -> String;
}

fn money(amount: i64, currency: &str) -> String {
    Money { amount_minor: amount, currency: currency.to_string() }.to_string()
}

fn deleted(meta: &Meta) -> &'static str {
    if meta.deleted_at.is_some() {
        "  [deleted]"
    } else {
        ""
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

impl Line for Client {
    fn line(&self) -> String {
        let email = self.email.as_deref().unwrap_or("");
        let tags = if self.tags.is_empty() { String::new() } else { format!("  #{}", self.tags.join(" #")) };
        format!("{}  {}  {email}{tags}{}", self.meta.id, first_line(&self.name), deleted(&self.meta))
    }
}
impl Line for Contact {
    fn line(&self) -> String {
        format!("{}  {}  {}{}", self.meta.id, self.name, self.email.as_deref().unwrap_or(""), deleted(&self.meta))
    }
}
impl Line for Project {
    fn line(&self) -> String {
        let budget = match (self.budget_minor, &self.currency) {
            (Some(a), Some(c)) => money(a, c),
            _ => String::new(),
        };
        format!("{}  {}  {}  {budget}{}", self.meta.id, self.name, self.status, deleted(&self.meta))
    }
}
impl Line for Job {
    fn line(&self) -> String {
        let closed =
            if self.market_status == Some(MarketJobStatus::Closed) { "  [closed on its marketplace]" } else { "" };
        format!("{}  {}{}{}", self.meta.id, first_line(&self.title), closed, deleted(&self.meta))
    }
}
impl Line for Bid {
    fn line(&self) -> String {
        format!(
            "{}  {}  {}  {} days{}",
            self.meta.id,
            self.status,
            money(self.amount_minor, &self.currency),
            self.delivery_days,
            deleted(&self.meta)
        )
    }
}
impl Line for Milestone {
    fn line(&self) -> String {
        let amount = money(self.amount_minor, &self.currency);
        format!("{}  {}  {}  {amount}{}", self.meta.id, self.title, self.status, deleted(&self.meta))
    }
}
impl Line for Activity {
    fn line(&self) -> String {
        let at = self.occurred_at.format("%Y-%m-%d %H:%M");
        format!("{}  {at}  {}  {}{}", self.meta.id, self.kind, first_line(&self.body), deleted(&self.meta))
    }
}
impl Line for Task {
    fn line(&self) -> String {
        let mark = if self.done_at.is_some() { "[x]" } else { "[ ]" };
        let due = self.due_at.map(|d| format!("  due {}", d.format("%Y-%m-%d %H:%M"))).unwrap_or_default();
        format!("{}  {mark} {}{due}{}", self.meta.id, self.title, deleted(&self.meta))
    }
}
impl Line for SearchHit {
    fn line(&self) -> String {
        format!("{:<9} {}  {}  {}", self.kind, self.id, first_line(&self.title), first_line(&self.snippet))
    }
}

impl Output {
    /// A single record or report: JSON, or `field: value` lines.
    pub fn record<T: Serialize>(&self, value: &T) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        if self.json {
            say!("{value}");
            return;
        }
        if let Value::Object(map) = value {
            for (key, v) in map {
                match v {
                    Value::Null => {}
                    Value::String(s) => say!("{key}: {s}"),
                    Value::Array(items) if items.is_empty() => {}
                    // Custom fields: one line each, `fields.Tier: Gold`.
                    Value::Object(fields) => {
                        for (name, v) in fields {
                            say!("{key}.{name}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                        }
                    }
                    other => say!("{key}: {other}"),
                }
            }
        } else {
            say!("{value}");
        }
    }

    pub fn page<T: Serialize + Line>(&self, page: &Page<T>) {
        if self.json {
            say!("{}", serde_json::to_value(page).unwrap_or(Value::Null));
            return;
        }
        if page.items.is_empty() {
            say!("(none)");
        }
        for item in &page.items {
            say!("{}", item.line());
        }
        if let Some(next) = &page.next {
            say!("more: --after {next}");
        }
    }

    pub fn hits(&self, hits: &[SearchHit]) {
        if self.json {
            say!("{}", serde_json::to_value(hits).unwrap_or(Value::Null));
            return;
        }
        if hits.is_empty() {
            say!("no matches");
        }
        for hit in hits {
            say!("{}", hit.line());
        }
    }

    /// The result of a command with no record to show.
    pub fn done(&self, kind: EntityKind, id: Id, what: &str) {
        if self.json {
            say!("{}", serde_json::json!({ "id": id, "kind": kind, "status": what }));
        } else {
            say!("{kind} {id} {what}");
        }
    }

    pub fn error(&self, err: &Error) {
        if self.json {
            eprintln!("{}", serde_json::to_string(&err.to_api()).unwrap_or_default());
        } else {
            eprintln!("error: {}", err.to_string().replace('\n', " "));
        }
    }
}
