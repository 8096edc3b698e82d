//! The privacy commands: erase, wipe, consent, retention, audit, privacy
//! status. Each calls one core operation and prints its result.

use std::io::{BufRead, IsTerminal, Write};

use bidwell_core::privacy::*;
use bidwell_core::*;

use crate::args::{AuditCmd, ConsentArgs, ConsentCmd, PrivacyCmd, RetentionCmd};
use crate::input::{id, opt_id, parsed};
use crate::output::{say, Output};

/// Asks `question` on the terminal; without one, refuses and says to pass
/// --yes to `action`.
pub(crate) fn confirm_on_terminal(question: &str, action: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::validation("yes", format!("no terminal to confirm on: pass --yes to {action}")));
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Error::validation("yes", e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn print_plan(plan: &ErasurePlan, done: bool) {
    let deleted: Vec<String> = plan.deleted.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
    let verb = if done { "Deleted" } else { "Will delete" };
    say!("{verb}: {}; {} consent record(s).", deleted.join(", "), plan.consents_deleted);
    for kept in &plan.kept {
        let how = if done { "Kept, anonymized" } else { "Will keep, anonymized" };
        say!("{how}: {} {} ({} {}): {}", kept.kind, kept.id, kept.status, kept.currency, kept.explanation);
    }
}

pub async fn erase_client(ws: &Workspace, text: &str, yes: bool, out: &Output) -> Result<()> {
    let client = id("id", text)?;
    if !yes {
        let plan = ws.erasure_preview(client).await?;
        if plan.blockers.is_empty() {
            print_plan(&plan, false);
            if !confirm_on_terminal("Erase this client for good? This cannot be undone.", "erase")? {
                say!("Nothing was erased.");
                return Ok(());
            }
        }
        // A blocked erasure falls through and is refused with its reasons.
    }
    let plan = ws.erase_client(client).await?;
    if out.json {
        out.record(&plan);
    } else {
        print_plan(&plan, true);
    }
    Ok(())
}

/// `bidwell wipe`: the demo marketplace runs only inside the app, and the
/// app and the CLI never wipe a workspace the other has open, so there is no
/// demo to stop here. Also finishes an interrupted wipe.
pub async fn wipe(dir: &std::path::Path, confirm: &str, env: Environment, out: &Output) -> Result<()> {
    let report = Workspace::wipe_closed(dir, confirm, env).await?;
    if out.json {
        out.record(&report);
    } else {
        print_wipe(&report);
    }
    Ok(())
}

fn print_wipe(report: &WipeReport) {
    say!("The key was destroyed and {} file(s) removed.", report.removed_files.len());
    if report.keychain_entry_removed {
        say!("The keychain entry was deleted.");
    }
    if report.token_entries_removed > 0 {
        say!("{} marketplace token(s) were deleted from the keychain.", report.token_entries_removed);
    }
    for leftover in &report.keychain_leftovers {
        say!("Could not delete from the keychain (delete it by hand, service \"Bidwell\"): {leftover}");
    }
    if let Some(why) = &report.keychain_unlisted {
        say!("Marketplace tokens in the keychain could not be listed: {why}");
    }
}

/// Asks the marketplaces first; a marketplace that does not accept stops the
/// wipe (the error names it) and the workspace is closed unchanged.
pub async fn wipe_asking_marketplaces(ws: Workspace, confirm: &str, out: &Output) -> Result<()> {
    let engine = bidwell_core::sync::SyncEngine::http(bidwell_core::sync::HttpOptions::default());
    let outcomes = match ws.request_erasure_before_wipe(confirm, &engine).await {
        Ok(outcomes) => outcomes,
        Err(err) => {
            ws.lock().await;
            return Err(err);
        }
    };
    if !out.json {
        print_erasure_outcomes(&outcomes);
    }
    let report = ws.wipe(confirm).await?;
    if out.json {
        out.record(&serde_json::json!({ "erasure_requests": outcomes, "wipe": report }));
    } else {
        print_wipe(&report);
    }
    Ok(())
}

fn print_erasure_outcomes(outcomes: &[bidwell_core::sync::ErasureRequestOutcome]) {
    if outcomes.is_empty() {
        say!("No marketplace is connected; there was nobody to ask.");
    }
    for o in outcomes {
        match (&o.receipt_id, &o.reason) {
            (Some(receipt), _) if o.accepted => {
                say!("{} ({}): accepted, reference {receipt}", o.account_name, o.account_id)
            }
            (_, reason) => {
                say!("{} ({}): failed: {}", o.account_name, o.account_id, reason.as_deref().unwrap_or("no answer"))
            }
        }
    }
}

/// `bidwell market erase-request [ACCOUNT_ID]`: prints each marketplace's
/// answer; exits non-zero when one did not accept.
pub async fn erase_request(ws: &Workspace, account: Option<&str>, out: &Output) -> Result<()> {
    let engine = bidwell_core::sync::SyncEngine::http(bidwell_core::sync::HttpOptions::default());
    let outcomes = engine.request_erasure(ws, opt_id("account", account)?).await?;
    if out.json {
        out.record(&outcomes);
    } else {
        print_erasure_outcomes(&outcomes);
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.accepted)
        .map(|o| format!("{} ({})", o.account_name, o.reason.as_deref().unwrap_or("no answer")))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::ErasureRequestFailed { failed, before_wipe: false })
    }
}

/// Prints the recorded row; the marketing choice also says when marketplaces hear it.
fn note_marketplace_choice(row: ConsentRecord, out: &Output) {
    out.record(&row);
    if !out.json && row.purpose == ConsentPurpose::MarketplaceMarketing {
        say!("Connected marketplaces get this choice with the next sync.");
    }
}

fn change(args: ConsentArgs, granted: bool) -> Result<ConsentChange> {
    Ok(ConsentChange {
        client_id: opt_id("client", args.client.as_deref())?,
        purpose: args.purpose.parse()?,
        granted,
        basis: parsed(args.basis.as_deref())?,
        source: args.source,
        evidence: args.evidence,
        method: ConsentMethod::Cli,
    })
}

pub async fn consent(ws: &Workspace, cmd: ConsentCmd, out: &Output) -> Result<()> {
    match cmd {
        ConsentCmd::List { client, history } => {
            let client = opt_id("client", client.as_deref())?;
            if history {
                let rows = ws.consent_history(client).await?;
                if out.json {
                    out.record(&rows);
                } else {
                    for r in rows {
                        let state = if r.granted { "granted" } else { "withdrawn" };
                        say!("{}  {}  {state}  ({:?})", r.recorded_at.to_rfc3339(), r.purpose, r.method);
                    }
                }
                return Ok(());
            }
            let states = ws.consents(client).await?;
            if out.json {
                out.record(&states);
            } else {
                for s in states {
                    let state = match (&s.latest, s.granted) {
                        (None, _) => "not given".to_string(),
                        (Some(r), true) => format!("granted {}", r.recorded_at.to_rfc3339()),
                        (Some(r), false) => format!("withdrawn {}", r.recorded_at.to_rfc3339()),
                    };
                    say!("{}: {state}", s.purpose);
                }
            }
        }
        ConsentCmd::Grant(args) => note_marketplace_choice(ws.record_consent(change(args, true)?).await?, out),
        ConsentCmd::Withdraw(args) => note_marketplace_choice(ws.record_consent(change(args, false)?).await?, out),
    }
    Ok(())
}

pub async fn retention(ws: &Workspace, cmd: RetentionCmd, out: &Output) -> Result<()> {
    match cmd {
        RetentionCmd::Show => out.record(&ws.retention().await?),
        RetentionCmd::Set { archived_months, keep_archived, deleted_days } => {
            let mut rules = ws.retention().await?.rules;
            if keep_archived {
                rules.archived_client_months = None;
            }
            if archived_months.is_some() {
                rules.archived_client_months = archived_months;
            }
            if let Some(days) = deleted_days {
                rules.deleted_after_days = days;
            }
            out.record(&ws.set_retention(&rules).await?);
        }
        RetentionCmd::Run => {
            let summary = ws.run_retention().await?;
            if out.json {
                out.record(&summary);
            } else {
                let parts: Vec<String> = summary.purged.removed.iter().map(|(k, n)| format!("{n} {k}")).collect();
                if parts.is_empty() {
                    say!("Nothing was due.");
                } else {
                    say!("Removed for good: {}.", parts.join(", "));
                }
                if summary.purged.kept > 0 {
                    say!("Kept, anonymized: {} payment(s) (tax and accounting records).", summary.purged.kept);
                }
                if summary.blocked > 0 {
                    say!("Left in place: {} client(s) with a pending bid or payment.", summary.blocked);
                }
            }
        }
    }
    Ok(())
}

pub async fn audit(ws: &Workspace, cmd: AuditCmd, out: &Output) -> Result<()> {
    match cmd {
        AuditCmd::List => {
            let entries = ws.audit_log().await?;
            if out.json {
                out.record(&entries);
            } else {
                for e in entries {
                    say!("{:>5}  {}  {}  {}", e.seq, e.at.to_rfc3339(), e.action, e.detail);
                }
            }
        }
        AuditCmd::Verify => {
            let v = ws.audit_verification().await?;
            if let Some(seq) = v.first_broken {
                return Err(Error::Inconsistent(format!(
                    "the audit log is broken at entry {seq}: it or an entry before it was changed or removed"
                )));
            }
            if out.json {
                out.record(&v);
            } else {
                say!("The audit log is intact ({} entries).", v.entries);
            }
        }
    }
    Ok(())
}

pub async fn privacy(ws: &Workspace, cmd: PrivacyCmd, out: &Output) -> Result<()> {
    match cmd {
        PrivacyCmd::Usage => {
            let p = ws.usage_preview().await?;
            if out.json {
                out.record(&p);
                return Ok(());
            }
            if !p.enabled {
                say!("Usage analytics are off: nothing is counted and nothing is sent.");
                return Ok(());
            }
            if p.rows.is_empty() {
                say!("Nothing counted yet.");
            }
            for r in &p.rows {
                say!("{}  {}  {:>5}  {}", r.day, r.event, r.count, r.description);
            }
            let totals: Vec<String> = p.totals.iter().map(|t| format!("{} {}", t.event, t.count)).collect();
            if !totals.is_empty() {
                say!("The next sync sends: {}", totals.join(", "));
            }
            for d in &p.destinations {
                say!("To: {} ({} at {})", d.account_name, d.endpoint, d.base_url);
            }
        }
        PrivacyCmd::Status => {
            let o = ws.privacy_overview().await?;
            if out.json {
                out.record(&o);
                return Ok(());
            }
            say!("Workspace: {}", o.workspace_name);
            for f in &o.files {
                say!("  {} ({} bytes)", f.path, f.bytes);
            }
            let e = &o.encryption;
            say!("Encryption: {} (SQLCipher {}, {})", e.cipher, e.sqlcipher_version, e.crypto_provider);
            say!("Key: wrapped with {}, unlocked by {:?}", e.key_wrapping, e.key_storage);
            let counts: Vec<String> = o.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            say!("Records: {}", counts.join(", "));
            say!("Restricted clients: {}", o.restricted_clients);
            say!("Last export: {}", o.last_export_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into()));
            for s in &o.consents {
                say!("Consent {}: {}", s.purpose, if s.granted { "granted" } else { "not given" });
            }
            if o.analytics.enabled {
                say!("Analytics: on ({} count(s) leave with the next sync)", o.analytics.queued);
            } else {
                say!("Analytics: off (every marketplace request says Sec-GPC: 1)");
            }
        }
    }
    Ok(())
}
