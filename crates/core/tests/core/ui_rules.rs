//! Issue #15, "one home for each rule": the bid lifecycle and the currency
//! exponents live in the core, and the UI gets them as generated data
//! (ui/src/bindings). This fails when a UI file writes either by hand.

use std::path::{Path, PathBuf};

const BID_STATUSES: &[&str] =
    &["draft", "queued", "submitted", "shortlisted", "awarded", "rejected", "withdrawn", "failed"];
/// The statuses no other switch in the UI is likely to name.
const BID_ONLY_WORDS: &[&str] = &["draft", "queued", "submitted", "shortlisted", "awarded"];

/// The codes of currencies whose exponent is not 2, from the generated table.
fn odd_currencies() -> Vec<String> {
    let (_, text) = bidwell_core::bindings::files()
        .into_iter()
        .find(|(name, _)| name == "CurrencyExponents.ts")
        .expect("CurrencyExponents.ts is generated");
    text.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(code, _)| code.to_string())
        .filter(|c| c.len() == 3)
        .collect()
}

/// Lines of `text` that restate a bid lifecycle rule or a currency exponent.
fn restatements(text: &str, currencies: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        // Statuses that are common words elsewhere (an integrity check that
        // "failed") count only where the line is about a status.
        let status_test = BID_STATUSES.iter().any(|s| {
            let compared = [format!("=== \"{s}\""), format!("!== \"{s}\""), format!("includes(\"{s}\")")]
                .iter()
                .any(|p| line.contains(p.as_str()));
            let cased = line.contains(&format!("case \"{s}\""));
            (compared && line.contains("status")) || (cased && BID_ONLY_WORDS.contains(s))
        });
        let status_table = line.contains("BidStatus[] = [") || line.contains("Record<BidStatus, BidStatus[]>");
        let exponent = currencies.iter().any(|c| {
            let quoted = format!("\"{c}\"");
            let valued = [format!("{c}: "), format!("{quoted}: ")]
                .iter()
                .any(|p| line.split(p.as_str()).skip(1).any(|rest| rest.starts_with(|ch: char| ch.is_ascii_digit())));
            valued || (line.contains(&quoted) && (line.contains("Set(") || line.to_lowercase().contains("exponent")))
        });
        if status_test || status_table || exponent {
            found.push(format!("{}: {}", number + 1, line.trim()));
        }
    }
    found
}

fn ui_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bindings") {
                ui_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "ts" || e == "tsx")
            // A unit test may check the UI against the core's numbers.
            && !path.to_string_lossy().contains(".test.")
        {
            out.push(path);
        }
    }
}

#[test]
fn the_check_finds_a_rule_written_by_hand() {
    let currencies = odd_currencies();
    assert!(currencies.contains(&"JPY".to_string()) && currencies.contains(&"KWD".to_string()), "{currencies:?}");
    for bad in [
        "if (bid.status === \"draft\" || bid.status === \"failed\")",
        "    case \"shortlisted\":",
        "const moves: Record<BidStatus, BidStatus[]> = {",
        "export const ORDER: BidStatus[] = [\"draft\"];",
        "const ZERO = new Set([\"JPY\", \"KRW\"]);",
        "const places = { KWD: 3 };",
    ] {
        assert_eq!(restatements(bad, &currencies).len(), 1, "not flagged: {bad}");
    }
    for fine in [
        "draft: \"Draft\",",
        "const currencies = [\"USD\", \"JPY\"];",
        "SUBMITTABLE.includes(bid.status)",
        "    case \"failed\":",
    ] {
        assert!(restatements(fine, &currencies).is_empty(), "flagged: {fine}");
    }
}

#[test]
fn no_ui_file_restates_the_bid_lifecycle_or_a_currency_exponent() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src");
    let mut files = Vec::new();
    ui_sources(&ui, &mut files);
    assert!(files.len() > 20, "the UI sources were not found in {}", ui.display());
    let currencies = odd_currencies();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in restatements(&text, &currencies) {
            found.push(format!("{}:{line}", file.strip_prefix(&ui).unwrap_or(&file).display()));
        }
    }
    assert!(found.is_empty(), "UI files that restate a core rule (use ui/src/bindings instead):\n{}", found.join("\n"));
}

/// Lines of `text` that restate the usage catalogue: an event's name or
/// words written by hand, or any feature event at all. Features are counted
/// by the core where the work is done; the window only reports the screen it
/// opened, with a name built from its route and checked by the generated
/// `UsageEvent` type; the Privacy screen gets each event's words from the core.
fn usage_restatements(text: &str) -> Vec<String> {
    use bidwell_core::privacy::UsageEvent;
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let named = UsageEvent::ALL.iter().any(|e| {
            [format!("\"{}\"", e.name()), format!("'{}'", e.name()), format!("`{}`", e.name())]
                .iter()
                .any(|q| line.contains(q.as_str()))
                || line.contains(e.description())
        });
        let feature = ["\"feature.", "'feature.", "`feature."].iter().any(|p| line.contains(p));
        if named || feature {
            found.push(format!("{}: {}", number + 1, line.trim()));
        }
    }
    found
}

#[test]
fn the_check_finds_a_usage_event_written_by_hand() {
    for bad in [
        "void api.privacy.countUsage(\"screen.clients\");",
        "countUsage('feature.export')",
        "const EVENTS = [`feature.backup`];",
        "<td>The list of clients was opened</td>",
    ] {
        assert_eq!(usage_restatements(bad).len(), 1, "not flagged: {bad}");
    }
    for fine in ["const event: UsageEvent = `screen.${route.screen}`;", "<td>{row.description}</td>", "feature"] {
        assert!(usage_restatements(fine).is_empty(), "flagged: {fine}");
    }
}

#[test]
fn no_ui_file_restates_the_usage_catalogue_or_counts_a_feature() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src");
    let mut files = Vec::new();
    ui_sources(&ui, &mut files);
    assert!(files.len() > 20, "the UI sources were not found in {}", ui.display());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in usage_restatements(&text) {
            found.push(format!("{}:{line}", file.strip_prefix(&ui).unwrap_or(&file).display()));
        }
    }
    assert!(found.is_empty(), "UI files that restate the usage catalogue (use ui/src/bindings):\n{}", found.join("\n"));
}
