//! `bidwell`: the command-line tool over bidwell-core. Each command parses
//! its flags, calls one core operation, and prints the result; all rules
//! live in the core.

mod args;
mod backup;
mod fields;
mod input;
mod market_login;
mod output;
mod privacy;
mod rates;
mod unlock;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

use args::*;
use bidwell_core::portability::{ArchiveContainer, UnmappedColumns};
use bidwell_core::vault::Protection;
use bidwell_core::*;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use input::{amount, clearable, date, id, opt_id, page, parsed, span, subject, time};
use output::{say, Output};
use unlock::Credentials;

fn main() -> ExitCode {
    // First, before any key is read: no core dumps (bidwell_core::process).
    let hardened = bidwell_core::process::harden();
    let matches = Cli::command().get_matches();
    let words = command_words(&matches);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("BIDWELL_LOG").unwrap_or_else(|_| "warn".into()))
        .without_time()
        .init();
    if let Err(e) = hardened {
        tracing::warn!("core dumps could not be turned off: {e}");
    }
    let out = Output { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, Holder::command(words), &out));
    // Everything the command started has ended (the workspace is locked), so
    // nothing of ours runs on while the process exits.
    drop(runtime);
    match (result, output::failed_status()) {
        (Err(err), _) => {
            out.error(&err);
            ExitCode::FAILURE
        }
        (Ok(()), Some(status)) => ExitCode::from(status),
        (Ok(()), None) => ExitCode::SUCCESS,
    }
}

/// The subcommand's words ("key rotate"): what other processes are told
/// this one is while it has the workspace open.
fn command_words(matches: &ArgMatches) -> String {
    let mut words = Vec::new();
    let mut level = matches;
    while let Some((name, sub)) = level.subcommand() {
        words.push(name);
        level = sub;
    }
    words.join(" ")
}

async fn run(cli: Cli, holder: Holder, out: &Output) -> Result<()> {
    let dir = bidwell_core::data_dir(cli.data_dir.clone())?;
    let env = Environment { holder, ..Environment::system() };
    let mut creds = Credentials { passphrase_stdin: cli.passphrase_stdin, stdin: input::StdinLines };
    if let Command::Init(init) = &cli.command {
        return init_workspace(&dir, init, &mut creds, env, out).await;
    }
    // Wiping needs no unlock: a forgotten passphrase is no reason to keep the data.
    // It also finishes a wipe that was interrupted.
    if let Command::Wipe { confirm, ask_marketplaces: false } = &cli.command {
        return privacy::wipe(&dir, confirm, env, out).await;
    }
    // The recovery key alone, for when the workspace cannot be opened.
    if let Command::Backup(
        cmd
        @ (BackupCmd::Restore { recovery_key_stdin: true, .. } | BackupCmd::Verify { recovery_key_stdin: true, .. }),
    ) = &cli.command
    {
        return backup::with_recovery_key(&dir, cmd, &mut creds, env, out).await;
    }
    let ws = unlock::open(&dir, &mut creds, env).await?;
    // Asking the marketplaces first needs their tokens, inside the database.
    if let Command::Wipe { confirm, ask_marketplaces: true } = &cli.command {
        return privacy::wipe_asking_marketplaces(ws, confirm, out).await;
    }
    let result = dispatch(&ws, cli.command, &mut creds, out).await;
    ws.lock().await;
    result
}

async fn init_workspace(
    dir: &std::path::Path,
    init: &InitArgs,
    creds: &mut Credentials,
    env: Environment,
    out: &Output,
) -> Result<()> {
    let protection = if init.keychain {
        Protection::Keychain
    } else {
        Protection::Passphrase(creds.new_passphrase(creds.passphrase_stdin, "BIDWELL_PASSPHRASE")?)
    };
    let (ws, recovery) = Workspace::create(dir, &init.name, protection, env).await?;
    let paths = ws.paths().clone();
    if out.json {
        say!(
            "{}",
            serde_json::json!({
                "data_dir": paths.dir,
                "name": init.name,
                "recovery_key": recovery.expose_for_display(),
            })
        );
    } else {
        say!("Created workspace \"{}\" in {}", init.name, paths.dir.display());
        say!();
        say!("Recovery key (shown once; write it down and keep it apart from this computer):");
        say!();
        say!("    {}", recovery.expose_for_display());
        say!();
        say!("It opens the workspace if the passphrase or keychain entry is ever lost.");
    }
    let confirmed = confirm_once_printed(&ws).await;
    ws.lock().await;
    confirmed
}

/// A recovery key written out whole to stdout has been shown: to the person
/// at the terminal, or to the script that keeps it. There is no "I saved it"
/// step in a command line, so writing it counts as confirming it; a key that
/// could not be written stays reported (`bidwell doctor`).
async fn confirm_once_printed(ws: &Workspace) -> Result<()> {
    use std::io::Write;
    if output::failed_status().is_none() && std::io::stdout().flush().is_ok() {
        ws.confirm_recovery_key_saved().await?;
    }
    Ok(())
}

async fn dispatch(ws: &Workspace, command: Command, creds: &mut Credentials, out: &Output) -> Result<()> {
    match command {
        Command::Init(_) | Command::Wipe { .. } => unreachable!("handled before unlocking"),
        Command::Consent(cmd) => privacy::consent(ws, cmd, out).await?,
        Command::Retention(cmd) => privacy::retention(ws, cmd, out).await?,
        Command::Audit(cmd) => privacy::audit(ws, cmd, out).await?,
        Command::Privacy(cmd) => privacy::privacy(ws, cmd, out).await?,
        Command::Doctor => {
            // The CLI is asked on purpose, so it runs the full scan too.
            let mut report = ws.doctor().await?;
            report.integrity = ws.check_integrity().await?.findings();
            // The index is mended where it disagrees with the tables; the
            // report says what was found.
            report.search_index = Some(ws.check_search_index(true).await?);
            // So are the totals the board, the dashboard and the task list read.
            report.kept_totals = Some(ws.check_kept_totals(true).await?);
            out.record(&report);
            if let (false, Some(unconfirmed)) = (out.json, &report.unconfirmed_recovery_key) {
                say!();
                say!(
                    "The recovery key was never confirmed as saved{}.",
                    match unconfirmed.origin.previous_key_revoked() {
                        true => ", and the previous one no longer opens this workspace",
                        false => "",
                    }
                );
                say!("Run `bidwell key rotate` to make a new one, and keep it apart from this computer.");
            }
        }
        Command::Backup(cmd) => backup::run(ws, cmd, out).await?,
        Command::Client(cmd) => client(ws, cmd, out).await?,
        Command::Contact(cmd) => contact(ws, cmd, out).await?,
        Command::Project(cmd) => project(ws, cmd, out).await?,
        Command::Job(cmd) => job(ws, cmd, out).await?,
        Command::Bid(cmd) => bid(ws, cmd, out).await?,
        Command::Market(cmd) => market(ws, cmd, creds, out).await?,
        Command::Sync(args) => sync(ws, args, out).await?,
        Command::Conflicts(ConflictsCmd::List) => out.record(&ws.sync_conflicts().await?),
        Command::Conflicts(ConflictsCmd::Resolve { id: text, keep }) => {
            ws.resolve_conflict(id("id", &text)?, keep.parse()?).await?;
            out.record(&ws.sync_status().await?);
        }
        Command::Milestone(cmd) => milestone(ws, cmd, out).await?,
        Command::Note(cmd) => note(ws, cmd, out).await?,
        Command::Task(cmd) => task(ws, cmd, out).await?,
        Command::Field(cmd) => fields::field(ws, cmd, out).await?,
        Command::Rate(cmd) => rates::rate(ws, cmd, out).await?,
        Command::Currency(cmd) => rates::currency(ws, cmd, out).await?,
        Command::FollowUp { on, days } => {
            let due = ws.now() + chrono::Duration::days(days.into());
            out.record(&ws.follow_up(subject(&on)?, due).await?);
        }
        Command::Search { query, limit } => out.hits(&ws.search(&query, limit).await?),
        Command::Purge { older_than_days } => {
            let report = ws.purge_deleted_older_than(chrono::Duration::days(older_than_days.into())).await?;
            if out.json {
                out.record(&report);
            } else if report.total == 0 {
                say!("Nothing was deleted more than {older_than_days} days ago.");
            } else {
                let parts: Vec<String> = report.removed.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
                say!("Removed for good: {}.", parts.join(", "));
            }
        }
        Command::Passphrase(PassphraseCmd::Change { new_passphrase_stdin }) => {
            let new = creds.new_passphrase(new_passphrase_stdin, "BIDWELL_NEW_PASSPHRASE")?;
            ws.change_passphrase(&new).await?;
            if out.json {
                say!("{}", serde_json::json!({ "status": "passphrase_changed" }));
            } else {
                say!("Passphrase changed.");
            }
        }
        Command::Key(KeyCmd::Rotate) => {
            let recovery = ws.rotate_key().await?;
            if out.json {
                say!(
                    "{}",
                    serde_json::json!({ "status": "key_rotated", "recovery_key": recovery.expose_for_display() })
                );
            } else {
                say!("The database is now encrypted under a new key.");
                say!("New recovery key (the old one no longer works):");
                say!();
                say!("    {}", recovery.expose_for_display());
            }
            confirm_once_printed(ws).await?;
        }
        Command::Export(args) => export(ws, args, creds, out).await?,
        Command::Import(args) => import(ws, args, creds, out).await?,
        Command::Dev(DevCmd::Seed { records, seed, one_client }) => {
            let bar = if !out.json && std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(records)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let plan = bidwell_core::seed::SeedPlan { records, seed };
            let mut report = |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            };
            match one_client {
                None => {
                    let summary = bidwell_core::seed::seed_workspace(ws, &plan, &mut report).await?;
                    bar.finish_and_clear();
                    out.record(&summary);
                }
                Some(name) => {
                    let (id, summary) = bidwell_core::seed::seed_one_client(ws, &name, &plan, &mut report).await?;
                    bar.finish_and_clear();
                    out.record(&serde_json::json!({ "client_id": id, "summary": summary }));
                }
            }
        }
        Command::Dev(DevCmd::DemoState) => match ws.demo_market_state().await? {
            Some(state) => say!("{state}"),
            None => return Err(Error::validation("demo", "the demo marketplace has not run in this workspace")),
        },
    }
    Ok(())
}

/// A progress bar on an interactive stderr (not with --json), fed by the core's reports.
/// Shows each step an export or import reports on `bar`.
pub(crate) fn show_step(bar: &indicatif::ProgressBar) -> impl FnMut(bidwell_core::portability::Step) + Send + '_ {
    |step| {
        bar.set_length(step.total);
        bar.set_position(step.done);
        bar.set_message(step.stage);
    }
}

pub(crate) fn progress_bar(out: &Output) -> indicatif::ProgressBar {
    if !out.json && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Ctrl-C sets the flag the core checks between steps, so a stopped export
/// or import cleans up after itself instead of dying halfway.
pub(crate) fn cancel_on_ctrl_c() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            set.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    flag
}

async fn export(ws: &Workspace, args: ExportArgs, creds: &mut Credentials, out: &Output) -> Result<()> {
    let client = opt_id("client", args.client.as_deref())?;
    if args.ics {
        let summary = ws.export_ics(&args.out).await?;
        if out.json {
            out.record(&summary);
        } else {
            let (tasks, milestones) = (summary.tasks, summary.milestones);
            say!("Wrote {tasks} tasks and {milestones} milestones to {}.", summary.path.display());
        }
        return Ok(());
    }
    if args.vcard {
        let summary = ws.export_vcard(&args.out, client).await?;
        if out.json {
            out.record(&summary);
        } else {
            say!("Wrote {} cards to {}.", summary.cards, summary.path.display());
        }
        return Ok(());
    }
    let password = if args.password_stdin { Some(creds.stdin.passphrase("password")?) } else { None };
    let container = match &args.format {
        Some(format) => format.parse()?,
        None if args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("age")) => ArchiveContainer::Age,
        None => ArchiveContainer::Zip,
    };
    let options = bidwell_core::portability::ExportOptions { client, csv_bom: args.csv_bom, container };
    let bar = progress_bar(out);
    let cancel = cancel_on_ctrl_c();
    let summary = ws.export(&args.out, &options, password.as_ref(), &mut show_step(&bar), &cancel).await;
    bar.finish_and_clear();
    let summary = summary?;
    if out.json {
        out.record(&summary);
    } else {
        say!(
            "Wrote {} records ({} files{}) to {}.",
            summary.counts.total(),
            summary.files,
            match (summary.encrypted, summary.container) {
                (false, _) => "",
                (true, ArchiveContainer::Zip) => ", WinZip AES-256 protected",
                (true, ArchiveContainer::Age) => ", in an age file locked with the password",
            },
            summary.path.display()
        );
    }
    Ok(())
}

async fn import(ws: &Workspace, args: ImportArgs, creds: &mut Credentials, out: &Output) -> Result<()> {
    let mapping = args.map.iter().map(|m| m.parse()).collect::<Result<Vec<_>>>()?;
    let kind = parsed(args.kind.as_deref())?;
    let password = if args.password_stdin { Some(creds.stdin.passphrase("password")?) } else { None };
    let unmapped = if args.keep_unmapped { UnmappedColumns::Keep } else { UnmappedColumns::Ignore };
    let options = bidwell_core::portability::ImportOptions { kind, mapping, dry_run: args.dry_run, unmapped };
    let bar = progress_bar(out);
    let cancel = cancel_on_ctrl_c();
    let summary = ws.import(&args.file, &options, password.as_ref(), &mut show_step(&bar), &cancel).await;
    bar.finish_and_clear();
    let summary = summary?;
    if out.json {
        out.record(&summary);
    } else {
        let c = &summary.counts;
        let parts: Vec<String> = [
            ("clients", c.clients),
            ("contacts", c.contacts),
            ("projects", c.projects),
            ("jobs", c.jobs),
            ("bids", c.bids),
            ("milestones", c.milestones),
            ("notes", c.activities),
            ("tasks", c.tasks),
            ("tags", c.tags),
            ("custom fields", c.custom_fields),
            ("custom values", c.custom_values),
            ("consents", c.consents),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
        let what = if parts.is_empty() { "nothing".to_string() } else { parts.join(", ") };
        if summary.dry_run {
            say!("Checked: the file is fine and would import {what}. Nothing was written.");
            if let Some(mapping) = &summary.mapping {
                print_mapping(mapping);
            }
        } else {
            say!("Imported {what}.");
            if summary.search_index_pending {
                say!("They are saved, but indexing them for search did not finish: the next search (or `bidwell doctor`) will try again.");
            }
        }
        print_unmapped_fields(&summary);
    }
    Ok(())
}

/// Where each unmapped column with a value went, or would go: the custom
/// field, and whether it exists or is (or would be) new.
fn print_unmapped_fields(summary: &bidwell_core::portability::ImportSummary) {
    if summary.unmapped_fields.is_empty() {
        return;
    }
    let kept = summary.unmapped == UnmappedColumns::Keep;
    match (kept, summary.dry_run) {
        (true, false) => say!("Kept as custom fields:"),
        (true, true) => say!("Would keep as custom fields:"),
        (false, _) => say!("With --keep-unmapped these columns would be kept as custom fields:"),
    }
    for f in &summary.unmapped_fields {
        let which = if f.existing { "existing" } else { "new" };
        let values = if f.values == 1 { "1 value".to_string() } else { format!("{} values", f.values) };
        say!("  \"{}\" -> {} ({which} {} field, {values})", f.column, f.field, f.field_type);
    }
}

/// A CSV file's columns as the import reads them: each field with the
/// columns that fill it (the first not empty wins), then those left out.
fn print_mapping(mapping: &bidwell_core::portability::CsvMapping) {
    let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
    for m in &mapping.mapped {
        match fields.last_mut() {
            Some((field, columns)) if *field == m.field => columns.push(&m.column),
            _ => fields.push((&m.field, vec![&m.column])),
        }
    }
    say!("Columns:");
    let width = fields.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (field, columns) in fields {
        let from = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", else ");
        say!("  {field:<width$} <- {from}");
    }
    if !mapping.unmapped.is_empty() {
        let left: Vec<String> = mapping.unmapped.iter().map(|c| format!("\"{c}\"")).collect();
        say!("Left out (no field takes them; --map \"COLUMN=field\" to use one): {}", left.join(", "));
    }
}

/// `show`, `rm` and `restore` work alike for every kind of record; `show`
/// needs the kind's own getter for its typed result.
async fn record<T, F>(
    ws: &Workspace,
    kind: EntityKind,
    cmd: RecordCmd,
    out: &Output,
    show: impl FnOnce(Id) -> F,
) -> Result<()>
where
    T: serde::Serialize,
    F: std::future::Future<Output = Result<T>>,
{
    match cmd {
        RecordCmd::Show { id: text } => out.record(&show(id("id", &text)?).await?),
        RecordCmd::Rm { id: text } => {
            let id = id("id", &text)?;
            ws.delete(kind, id).await?;
            out.done(kind, id, "deleted (undo with restore)");
        }
        RecordCmd::Restore { id: text } => {
            let id = id("id", &text)?;
            ws.restore(kind, id).await?;
            out.done(kind, id, "restored");
        }
    }
    Ok(())
}

/// `--amount` with its `--currency` (clap makes each require the other).
/// `NAME=VALUE` pairs of `--field`, split at the first `=`.
fn field_pairs(pairs: &[String]) -> Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
            _ => Err(Error::validation("field", format!("'{pair}' should look like NAME=VALUE"))),
        })
        .collect()
}

/// The values of a new record's `--field`s.
fn field_values(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    Ok(field_pairs(pairs)?.into_iter().collect())
}

/// An edit's `--field`s: `NAME=` clears the field.
fn field_changes(pairs: &[String]) -> Result<BTreeMap<String, Option<String>>> {
    Ok(field_pairs(pairs)?.into_iter().map(|(name, value)| (name, (!value.is_empty()).then_some(value))).collect())
}

/// A list's `--field NAME=VALUE`.
fn field_filter(pair: Option<&str>) -> Result<Option<FieldFilter>> {
    let Some(pair) = pair else { return Ok(None) };
    let mut pairs = field_pairs(&[pair.to_string()])?;
    let (name, value) = pairs.remove(0);
    Ok(Some(FieldFilter { name, value }))
}

/// An edit's `--tag`s replace them all; `--clear-tags` removes them; neither leaves them.
fn tag_change(tags: Vec<String>, clear: bool) -> Option<Vec<String>> {
    if clear {
        Some(Vec::new())
    } else {
        (!tags.is_empty()).then_some(tags)
    }
}

fn money_pair(value: Option<String>, currency: Option<String>) -> Result<Option<(i64, String)>> {
    match (value, currency) {
        (Some(v), Some(c)) => Ok(Some((amount("amount", &v, &c)?, c))),
        _ => Ok(None),
    }
}

async fn client(ws: &Workspace, cmd: ClientCmd, out: &Output) -> Result<()> {
    match cmd {
        ClientCmd::Add { name, kind, email, phone, company, website, country, note, extras } => {
            let new = NewClient {
                kind: parsed(kind.as_deref())?,
                name,
                email,
                phone,
                company,
                website,
                country,
                notes: note.unwrap_or_default(),
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_client(new).await?);
        }
        ClientCmd::List { list, kind, archived, restricted, extras } => {
            let filter = ClientFilter {
                tag: extras.tag,
                kind: parsed(kind.as_deref())?,
                archived: Some(archived),
                restricted: restricted.then_some(true),
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_clients(&filter, &page(&list)?).await?);
        }
        ClientCmd::Edit {
            id: text,
            name,
            kind,
            email,
            phone,
            company,
            website,
            country,
            note,
            restricted,
            archived,
            extras,
        } => {
            let change = ClientPatch {
                kind: parsed(kind.as_deref())?,
                name,
                email: clearable(email),
                phone: clearable(phone),
                company: clearable(company),
                website: clearable(website),
                country: clearable(country),
                notes: note,
                restricted,
                archived,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_client(id("id", &text)?, change).await?);
        }
        ClientCmd::Erase { id: text, yes } => privacy::erase_client(ws, &text, yes, out).await?,
        ClientCmd::Record(cmd) => record(ws, EntityKind::Client, cmd, out, |id| ws.client(id)).await?,
    }
    Ok(())
}

async fn contact(ws: &Workspace, cmd: ContactCmd, out: &Output) -> Result<()> {
    match cmd {
        ContactCmd::Add { client, name, email, phone, role, note, extras } => {
            let new = NewContact {
                client_id: Some(id("client", &client)?),
                name,
                email,
                phone,
                role,
                notes: note.unwrap_or_default(),
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_contact(new).await?);
        }
        ContactCmd::List { list, client, extras } => {
            let filter = ContactFilter {
                client_id: opt_id("client", client.as_deref())?,
                tag: extras.tag,
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_contacts(&filter, &page(&list)?).await?);
        }
        ContactCmd::Edit { id: text, name, email, phone, role, note, extras } => {
            let change = ContactPatch {
                name,
                email: clearable(email),
                phone: clearable(phone),
                role: clearable(role),
                notes: note,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_contact(id("id", &text)?, change).await?);
        }
        ContactCmd::Record(cmd) => record(ws, EntityKind::Contact, cmd, out, |id| ws.contact(id)).await?,
    }
    Ok(())
}

async fn project(ws: &Workspace, cmd: ProjectCmd, out: &Output) -> Result<()> {
    match cmd {
        ProjectCmd::Add { client, name, status, rate, budget, currency, start, due, description, extras } => {
            let budget_minor = match (&budget, &currency) {
                (Some(b), Some(c)) => Some(amount("budget", b, c)?),
                _ => None,
            };
            let new = NewProject {
                client_id: Some(id("client", &client)?),
                name,
                status: parsed(status.as_deref())?,
                rate_type: parsed(rate.as_deref())?,
                budget_minor,
                currency,
                start_date: start.as_deref().map(|d| date("start", d)).transpose()?,
                due_date: due.as_deref().map(|d| date("due", d)).transpose()?,
                description: description.unwrap_or_default(),
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_project(new).await?);
        }
        ProjectCmd::List { list, client, status, extras } => {
            let filter = ProjectFilter {
                client_id: opt_id("client", client.as_deref())?,
                status: parsed(status.as_deref())?,
                tag: extras.tag,
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_projects(&filter, &page(&list)?).await?);
        }
        ProjectCmd::Edit { id: text, name, status, rate, budget, currency, start, due, description, extras } => {
            let id = id("id", &text)?;
            let budget = match clearable(budget) {
                None => None,
                Some(None) => Some(None),
                Some(Some(b)) => {
                    let currency = match currency {
                        Some(c) => c,
                        None => ws
                            .project(id)
                            .await?
                            .currency
                            .ok_or_else(|| Error::validation("currency", "is required with a budget"))?,
                    };
                    Some(Some((amount("budget", &b, &currency)?, currency)))
                }
            };
            let change = ProjectPatch {
                name,
                status: parsed(status.as_deref())?,
                rate_type: parsed(rate.as_deref())?,
                budget,
                start_date: clearable(start).map(|d| d.map(|d| date("start", &d)).transpose()).transpose()?,
                due_date: clearable(due).map(|d| d.map(|d| date("due", &d)).transpose()).transpose()?,
                description,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_project(id, change).await?);
        }
        ProjectCmd::Record(cmd) => record(ws, EntityKind::Project, cmd, out, |id| ws.project(id)).await?,
    }
    Ok(())
}

async fn job(ws: &Workspace, cmd: JobCmd, out: &Output) -> Result<()> {
    match cmd {
        JobCmd::Add {
            title,
            description,
            url,
            budget_kind,
            budget_min,
            budget_max,
            currency,
            skills,
            employer,
            client,
            extras,
        } => {
            let in_currency = |field: &str, v: &Option<String>| -> Result<Option<i64>> {
                match (v, &currency) {
                    (Some(v), Some(c)) => Ok(Some(amount(field, v, c)?)),
                    _ => Ok(None),
                }
            };
            let new = NewJob {
                client_id: opt_id("client", client.as_deref())?,
                title,
                description: description.unwrap_or_default(),
                url,
                budget_kind: parsed(budget_kind.as_deref())?,
                budget_min_minor: in_currency("budget-min", &budget_min)?,
                budget_max_minor: in_currency("budget-max", &budget_max)?,
                currency,
                skills,
                employer_name: employer,
                posted_at: None,
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_job(new).await?);
        }
        JobCmd::List { list, saved, hidden, extras } => {
            let filter = JobFilter {
                saved: saved.then_some(true),
                hidden: Some(hidden),
                client_id: None,
                tag: extras.tag,
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_jobs(&filter, &page(&list)?).await?);
        }
        JobCmd::Edit { id: text, title, description, url, skills, employer, client, saved, hidden, notes, extras } => {
            let change = JobPatch {
                client_id: clearable(client).map(|c| c.map(|c| id("client", &c)).transpose()).transpose()?,
                title,
                description,
                url: clearable(url),
                skills: (!skills.is_empty()).then_some(skills),
                employer_name: clearable(employer),
                saved,
                hidden,
                my_notes: notes,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_job(id("id", &text)?, change).await?);
        }
        JobCmd::Record(cmd) => record(ws, EntityKind::Job, cmd, out, |id| ws.job(id)).await?,
    }
    Ok(())
}

async fn bid(ws: &Workspace, cmd: BidCmd, out: &Output) -> Result<()> {
    match cmd {
        BidCmd::Add { job, amount: value, currency, days, milestone_percentage, proposal, project, extras } => {
            let new = NewBid {
                job_id: Some(id("job", &job)?),
                project_id: opt_id("project", project.as_deref())?,
                amount_minor: amount("amount", &value, &currency)?,
                currency,
                delivery_days: days,
                milestone_percentage,
                proposal,
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_bid(new).await?);
        }
        BidCmd::List { list, job, status, extras } => {
            let filter = BidFilter {
                job_id: opt_id("job", job.as_deref())?,
                status: parsed(status.as_deref())?,
                tag: extras.tag,
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_bids(&filter, &page(&list)?).await?);
        }
        BidCmd::Edit { id: text, amount: value, currency, days, milestone_percentage, proposal, project, extras } => {
            let money = money_pair(value, currency)?;
            let change = BidPatch {
                project_id: clearable(project).map(|p| p.map(|p| id("project", &p)).transpose()).transpose()?,
                amount: money,
                delivery_days: days,
                milestone_percentage,
                proposal,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_bid(id("id", &text)?, change).await?);
        }
        BidCmd::Status { id: text, status } => {
            out.record(&ws.set_bid_status(id("id", &text)?, status.parse()?).await?);
        }
        BidCmd::Submit { id: text } => out.record(&ws.submit_bid(id("id", &text)?).await?),
        BidCmd::Placed { id: text } => out.record(&ws.mark_bid_placed(id("id", &text)?).await?),
        BidCmd::Withdraw { id: text } => out.record(&ws.withdraw_bid(id("id", &text)?).await?),
        BidCmd::Record(cmd) => record(ws, EntityKind::Bid, cmd, out, |id| ws.bid(id)).await?,
    }
    Ok(())
}

async fn milestone(ws: &Workspace, cmd: MilestoneCmd, out: &Output) -> Result<()> {
    match cmd {
        MilestoneCmd::Add { project, bid, title, amount: value, currency, due, extras } => {
            let new = NewMilestone {
                project_id: opt_id("project", project.as_deref())?,
                bid_id: opt_id("bid", bid.as_deref())?,
                title,
                amount_minor: amount("amount", &value, &currency)?,
                currency,
                due_date: due.as_deref().map(|d| date("due", d)).transpose()?,
                tags: extras.tags,
                fields: field_values(&extras.fields)?,
            };
            out.record(&ws.create_milestone(new).await?);
        }
        MilestoneCmd::List { list, project, bid, status, extras } => {
            let filter = MilestoneFilter {
                project_id: opt_id("project", project.as_deref())?,
                bid_id: opt_id("bid", bid.as_deref())?,
                status: parsed(status.as_deref())?,
                tag: extras.tag,
                field: field_filter(extras.field.as_deref())?,
            };
            out.page(&ws.list_milestones(&filter, &page(&list)?).await?);
        }
        MilestoneCmd::Edit { id: text, title, amount: value, currency, due, extras } => {
            let money = money_pair(value, currency)?;
            let change = MilestonePatch {
                title,
                amount: money,
                due_date: clearable(due).map(|d| d.map(|d| date("due", &d)).transpose()).transpose()?,
                tags: tag_change(extras.tags, extras.clear_tags),
                fields: Some(field_changes(&extras.fields)?),
            };
            out.record(&ws.update_milestone(id("id", &text)?, change).await?);
        }
        MilestoneCmd::Status { id: text, status } => {
            out.record(&ws.set_milestone_status(id("id", &text)?, status.parse()?).await?);
        }
        MilestoneCmd::Record(cmd) => record(ws, EntityKind::Milestone, cmd, out, |id| ws.milestone(id)).await?,
    }
    Ok(())
}

async fn note(ws: &Workspace, cmd: NoteCmd, out: &Output) -> Result<()> {
    match cmd {
        NoteCmd::Add { on, body, kind, at } => {
            let new = NewActivity {
                subject: subject(&on)?,
                kind: parsed(kind.as_deref())?,
                body,
                occurred_at: at.as_deref().map(|t| time("at", t)).transpose()?,
            };
            out.record(&ws.create_activity(new).await?);
        }
        NoteCmd::List { list, on, kind } => {
            let filter =
                ActivityFilter { subject: on.as_deref().map(subject).transpose()?, kind: parsed(kind.as_deref())? };
            out.page(&ws.list_activities(&filter, &page(&list)?).await?);
        }
        NoteCmd::Edit { id: text, body, kind, at } => {
            let change = ActivityPatch {
                kind: parsed(kind.as_deref())?,
                body,
                occurred_at: at.as_deref().map(|t| time("at", t)).transpose()?,
            };
            out.record(&ws.update_activity(id("id", &text)?, change).await?);
        }
        NoteCmd::Record(cmd) => record(ws, EntityKind::Activity, cmd, out, |id| ws.activity(id)).await?,
    }
    Ok(())
}

async fn task(ws: &Workspace, cmd: TaskCmd, out: &Output) -> Result<()> {
    let opt_time = |field: &str, v: Option<Option<String>>| -> Result<Option<Option<chrono::DateTime<chrono::Utc>>>> {
        v.map(|v| v.map(|t| time(field, &t)).transpose()).transpose()
    };
    match cmd {
        TaskCmd::Add { title, notes, due, remind, repeat, on } => {
            let new = NewTask {
                title,
                notes: notes.unwrap_or_default(),
                due_at: due.as_deref().map(|t| time("due", t)).transpose()?,
                remind_at: remind.as_deref().map(|t| time("remind", t)).transpose()?,
                subject: on.as_deref().map(subject).transpose()?,
                repeat: parsed(repeat.as_deref())?,
            };
            out.record(&ws.create_task(new).await?);
        }
        TaskCmd::Snooze { id: text, until, for_ } => {
            let until = match (until, for_) {
                (Some(at), _) => time("until", &at)?,
                (None, Some(span_text)) => ws.now() + span("for", &span_text)?,
                (None, None) => return Err(Error::validation("until", "say --until AT or --for SPAN")),
            };
            out.record(&ws.snooze_task(id("id", &text)?, until).await?);
        }
        TaskCmd::List { list, open, done, on, due_before } => {
            let filter = TaskFilter {
                done: if open { Some(false) } else { done.then_some(true) },
                subject: on.as_deref().map(subject).transpose()?,
                due_before: due_before.as_deref().map(|t| time("due-before", t)).transpose()?,
                ..TaskFilter::default()
            };
            out.page(&ws.list_tasks(&filter, &page(&list)?).await?);
        }
        TaskCmd::Edit { id: text, title, notes, due, remind, repeat } => {
            let change = TaskPatch {
                title,
                notes,
                due_at: opt_time("due", clearable(due))?,
                remind_at: opt_time("remind", clearable(remind))?,
                repeat: clearable(repeat).map(|r| parsed(r.as_deref())).transpose()?,
                done: None,
            };
            out.record(&ws.update_task(id("id", &text)?, change).await?);
        }
        TaskCmd::Done { id: text } => {
            out.record(&ws.update_task(id("id", &text)?, TaskPatch { done: Some(true), ..Default::default() }).await?)
        }
        TaskCmd::Reopen { id: text } => {
            out.record(&ws.update_task(id("id", &text)?, TaskPatch { done: Some(false), ..Default::default() }).await?)
        }
        TaskCmd::Record(cmd) => record(ws, EntityKind::Task, cmd, out, |id| ws.task(id)).await?,
    }
    Ok(())
}

async fn market(ws: &Workspace, cmd: MarketCmd, creds: &mut Credentials, out: &Output) -> Result<()> {
    match cmd {
        MarketCmd::Add { kind, url, token_stdin, name, sign_in } => {
            let account = market_login::add(ws, &kind, url, name, token_stdin, sign_in, creds).await?;
            out.record(&account);
        }
        MarketCmd::Login { id: text, client_secret_stdin } => {
            let secret = if client_secret_stdin { Some(creds.stdin.secret("client_secret")?) } else { None };
            let target = bidwell_core::sync::SignInTarget::Again(id("id", &text)?);
            out.record(&market_login::sign_in(ws, target, secret).await?);
        }
        MarketCmd::List => out.record(&ws.market_accounts().await?),
        MarketCmd::Token { id: text } => {
            let token = creds.stdin.token()?;
            ws.set_market_token(id("id", &text)?, token).await?;
            out.record(&ws.sync_status().await?);
        }
        MarketCmd::Remove { id: text, yes } => {
            let account = id("id", &text)?;
            if !yes {
                if !std::io::stdin().is_terminal() {
                    return Err(Error::validation("yes", "no terminal to confirm on: pass --yes to disconnect"));
                }
                let plan = ws.market_account_removal_preview(account).await?;
                say!(
                    "Disconnecting {}: {} queued change(s) will never be sent; {} job(s), {} bid(s) and {} \
                     milestone(s) stay here as your own records.",
                    plan.name,
                    plan.unsent_changes,
                    plan.kept_jobs,
                    plan.kept_bids,
                    plan.kept_milestones
                );
                if !crate::privacy::confirm_on_terminal("Disconnect this marketplace?", "disconnect")? {
                    say!("Nothing was changed.");
                    return Ok(());
                }
            }
            let removal = ws.remove_market_account(account).await?;
            if let Some(note) = &removal.keychain_note {
                eprintln!("warning: {note}");
            }
            if let Some(note) = &removal.revoke_note {
                eprintln!("{note}");
            }
            out.record(&removal);
        }
        MarketCmd::Search(SavedSearchCmd::Add { account, name, query, skills }) => {
            out.record(&ws.add_saved_search(id("account", &account)?, &name, query, skills).await?);
        }
        MarketCmd::Search(SavedSearchCmd::List) => out.record(&ws.saved_searches().await?),
        MarketCmd::EraseRequest { account } => privacy::erase_request(ws, account.as_deref(), out).await?,
    }
    Ok(())
}

/// `bidwell sync`: one pass with --once, else passes until the process is
/// stopped. Stopping at any point is safe: every step commits on its own.
async fn sync(ws: &Workspace, args: SyncArgs, out: &Output) -> Result<()> {
    match args.command {
        Some(SyncCmd::Status) => {
            out.record(&ws.sync_status().await?);
            return Ok(());
        }
        Some(SyncCmd::Retry) => {
            let n = ws.retry_failed().await?;
            out.record(&serde_json::json!({ "requeued": n }));
            return Ok(());
        }
        None => {}
    }
    let engine = bidwell_core::sync::SyncEngine::http(bidwell_core::sync::HttpOptions::default());
    let cancel = std::sync::atomic::AtomicBool::new(false);
    loop {
        let report = engine.sync_once(ws, &mut |_, _, _| {}, &cancel).await?;
        out.record(&report);
        if args.once {
            return Ok(());
        }
        // The driver, not the engine, waits: until the next retry is due or the interval.
        let interval = std::time::Duration::from_secs(args.interval.max(1));
        let wait = report
            .next_attempt_at
            .and_then(|at| (at - chrono::Utc::now()).to_std().ok())
            .map_or(interval, |due| due.min(interval));
        tokio::time::sleep(wait).await;
    }
}
