//! The IPC commands. Each converts its arguments, makes one core call and
//! returns the result or the core's `{code, message, transient}` error.
//! Nothing here decides anything; see crates/core.

use bidwell_core::audit::{self, AuditVerification};
use bidwell_core::backup::{BackupInfo, BackupStatus, BackupVerification, RestoreReport};
use bidwell_core::chrono::{DateTime, Utc};
use bidwell_core::portability::{self, ChosenFile, ChosenFiles};
use bidwell_core::privacy::*;
use bidwell_core::rates;
use bidwell_core::secret::{Passphrase, RecoveryKey};
use bidwell_core::seed::{self, SeedPlan, SeedSummary};
use bidwell_core::store::KeptTotalsReport;
use bidwell_core::sync::*;
use bidwell_core::vault::{Protection, Unlock};
use bidwell_core::work::{LongWork, Progress, WorkTicket};
use bidwell_core::*;
use tauri::ipc::Channel;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

type Reply<T> = std::result::Result<T, ApiError>;

fn api(err: Error) -> ApiError {
    err.to_api()
}

/// A failure of the platform (the webview, a dialog), not of the core.
fn platform(what: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError {
        code: ErrorCode::Internal,
        message: format!("{what}: {err}"),
        transient: true,
        field: None,
        location: None,
    }
}

// Session: which screen, create, unlock, lock.

#[tauri::command]
pub async fn session_state(session: State<'_, Session>) -> Reply<SessionState> {
    session.state().await.map_err(api)
}

/// Creates the workspace; with no passphrase the key goes to the OS keychain.
/// Returns the recovery key, to be shown once.
#[tauri::command]
pub async fn create_workspace(session: State<'_, Session>, name: String, passphrase: Option<String>) -> Reply<String> {
    let protection = match passphrase {
        Some(p) => Protection::Passphrase(Passphrase::new(p)),
        None => Protection::Keychain,
    };
    let recovery = session.create(&name, protection).await.map_err(api)?;
    Ok(recovery.expose_for_display().to_string())
}

/// Unlocks with the passphrase, or with the keychain when none is given.
/// The first unlock after an update reports its backup and update steps.
#[tauri::command]
pub async fn unlock(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    passphrase: Option<String>,
    on_progress: Channel<Progress>,
) -> Reply<()> {
    let ticket = work.start();
    let mut step = phases_to(&ticket, &on_progress);
    session.unlock_reporting(current(passphrase), &mut step).await.map_err(api)
}

#[tauri::command]
pub async fn unlock_with_recovery_key(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    recovery_key: String,
    on_progress: Channel<Progress>,
) -> Reply<()> {
    let key = RecoveryKey::parse(&recovery_key).map_err(|e| api(e.into()))?;
    let ticket = work.start();
    let mut step = phases_to(&ticket, &on_progress);
    session.unlock_reporting(Unlock::RecoveryKey(key), &mut step).await.map_err(api)
}

#[tauri::command]
pub async fn lock(session: State<'_, Session>, chosen: State<'_, ChosenFiles>) -> Reply<()> {
    session.lock().await;
    chosen.forget_all();
    Ok(())
}

// Security and preferences.

/// The current passphrase, or the keychain when none is given.
fn current(passphrase: Option<String>) -> Unlock {
    passphrase.map(|p| Unlock::Passphrase(Passphrase::new(p))).unwrap_or(Unlock::Keychain)
}

/// Needs the current passphrase again, although the workspace is unlocked.
#[tauri::command]
pub async fn change_passphrase(
    session: State<'_, Session>,
    current_passphrase: String,
    new_passphrase: String,
) -> Reply<()> {
    let workspace = session.workspace().await.map_err(api)?;
    workspace.verify_unlock(&current(Some(current_passphrase))).await.map_err(api)?;
    workspace.change_passphrase(&Passphrase::new(new_passphrase)).await.map_err(api)
}

/// Re-encrypts under a new key after re-authentication; returns the new
/// recovery key (the old one stops working; it was never stored to show again).
#[tauri::command]
pub async fn rotate_key(session: State<'_, Session>, current_passphrase: Option<String>) -> Reply<String> {
    let workspace = session.workspace().await.map_err(api)?;
    workspace.verify_unlock(&current(current_passphrase)).await.map_err(api)?;
    let recovery = workspace.rotate_key().await.map_err(api)?;
    Ok(recovery.expose_for_display().to_string())
}

/// The user confirmed saving the recovery key they were shown ("I saved it"):
/// the window stops asking for a new one.
#[tauri::command]
pub async fn confirm_recovery_key_saved(session: State<'_, Session>) -> Reply<()> {
    session.workspace().await.map_err(api)?.confirm_recovery_key_saved().await.map_err(api)
}

#[tauri::command]
pub async fn doctor(session: State<'_, Session>) -> Reply<DoctorReport> {
    session.workspace().await.map_err(api)?.doctor().await.map_err(api)
}

/// Reads the whole database: healthy, damaged (what was found) or stopped. Only when asked.
#[tauri::command]
pub async fn check_integrity(session: State<'_, Session>) -> Reply<IntegrityOutcome> {
    session.workspace().await.map_err(api)?.check_integrity().await.map_err(api)
}

/// Compares the search index with the records and mends whatever disagrees;
/// says what it found.
#[tauri::command]
pub async fn check_search_index(session: State<'_, Session>) -> Reply<SearchIndexReport> {
    session.workspace().await.map_err(api)?.check_search_index(true).await.map_err(api)
}

/// Adds up the bids, milestones and tasks again and mends the kept totals
/// the board, the dashboard and the task list read where they disagree;
/// says what it found.
#[tauri::command]
pub async fn check_kept_totals(session: State<'_, Session>) -> Reply<KeptTotalsReport> {
    session.workspace().await.map_err(api)?.check_kept_totals(true).await.map_err(api)
}

/// Ends a running `check_integrity` as stopped; nothing when none runs.
#[tauri::command]
pub async fn stop_integrity_check(session: State<'_, Session>) -> Reply<()> {
    session.stop_integrity_check().await;
    Ok(())
}

#[tauri::command]
pub async fn preferences(session: State<'_, Session>) -> Reply<Preferences> {
    session.workspace().await.map_err(api)?.preferences().await.map_err(api)
}

#[tauri::command]
pub async fn set_preferences(session: State<'_, Session>, preferences: Preferences) -> Reply<Preferences> {
    session.workspace().await.map_err(api)?.set_preferences(&preferences).await.map_err(api)
}

// Records. Delete and restore work for every kind.

#[tauri::command]
pub async fn delete_record(session: State<'_, Session>, kind: EntityKind, id: Id) -> Reply<()> {
    session.workspace().await.map_err(api)?.delete(kind, id).await.map_err(api)
}

#[tauri::command]
pub async fn restore_record(session: State<'_, Session>, kind: EntityKind, id: Id) -> Reply<()> {
    session.workspace().await.map_err(api)?.restore(kind, id).await.map_err(api)
}

#[tauri::command]
pub async fn search(session: State<'_, Session>, query: String, limit: u32) -> Reply<Vec<SearchHit>> {
    session.workspace().await.map_err(api)?.search(&query, limit).await.map_err(api)
}

/// Create, get, list and update for one kind of record.
macro_rules! record_commands {
    ($create:ident, $get:ident, $list:ident, $update:ident, $ty:ty, $new:ty, $filter:ty, $patch:ty,
     $core_create:ident, $core_get:ident, $core_list:ident, $core_update:ident) => {
        #[tauri::command]
        pub async fn $create(session: State<'_, Session>, new: $new) -> Reply<$ty> {
            session.workspace().await.map_err(api)?.$core_create(new).await.map_err(api)
        }

        #[tauri::command]
        pub async fn $get(session: State<'_, Session>, id: Id) -> Reply<$ty> {
            session.workspace().await.map_err(api)?.$core_get(id).await.map_err(api)
        }

        #[tauri::command]
        pub async fn $list(session: State<'_, Session>, filter: $filter, page: PageRequest) -> Reply<Page<$ty>> {
            session.workspace().await.map_err(api)?.$core_list(&filter, &page).await.map_err(api)
        }

        #[tauri::command]
        pub async fn $update(session: State<'_, Session>, id: Id, patch: $patch) -> Reply<$ty> {
            session.workspace().await.map_err(api)?.$core_update(id, patch).await.map_err(api)
        }
    };
}

record_commands!(
    create_client,
    get_client,
    list_clients,
    update_client,
    Client,
    NewClient,
    ClientFilter,
    ClientPatch,
    create_client,
    client,
    list_clients,
    update_client
);
record_commands!(
    create_contact,
    get_contact,
    list_contacts,
    update_contact,
    Contact,
    NewContact,
    ContactFilter,
    ContactPatch,
    create_contact,
    contact,
    list_contacts,
    update_contact
);
record_commands!(
    create_project,
    get_project,
    list_projects,
    update_project,
    Project,
    NewProject,
    ProjectFilter,
    ProjectPatch,
    create_project,
    project,
    list_projects,
    update_project
);
record_commands!(
    create_job, get_job, list_jobs, update_job, Job, NewJob, JobFilter, JobPatch, create_job, job, list_jobs,
    update_job
);
record_commands!(
    create_bid, get_bid, list_bids, update_bid, Bid, NewBid, BidFilter, BidPatch, create_bid, bid, list_bids,
    update_bid
);
record_commands!(
    create_milestone,
    get_milestone,
    list_milestones,
    update_milestone,
    Milestone,
    NewMilestone,
    MilestoneFilter,
    MilestonePatch,
    create_milestone,
    milestone,
    list_milestones,
    update_milestone
);
record_commands!(
    create_activity,
    get_activity,
    list_activities,
    update_activity,
    Activity,
    NewActivity,
    ActivityFilter,
    ActivityPatch,
    create_activity,
    activity,
    list_activities,
    update_activity
);
record_commands!(
    create_task,
    get_task,
    list_tasks,
    update_task,
    Task,
    NewTask,
    TaskFilter,
    TaskPatch,
    create_task,
    task,
    list_tasks,
    update_task
);

/// Moves a task's reminder to `until` (from the reminder notice: "Snooze 1 hour", "Tomorrow").
#[tauri::command]
pub async fn snooze_task(session: State<'_, Session>, id: Id, until: DateTime<Utc>) -> Reply<Task> {
    session.workspace().await.map_err(api)?.snooze_task(id, until).await.map_err(api)
}

/// "Follow up in N days" on a client, bid or job: one task about it, reminding at `due_at`.
#[tauri::command]
pub async fn follow_up(session: State<'_, Session>, subject: Subject, due_at: DateTime<Utc>) -> Reply<Task> {
    session.workspace().await.map_err(api)?.follow_up(subject, due_at).await.map_err(api)
}

/// How many open tasks each group of the task list holds; `day_end` ends the user's day.
#[tauri::command]
pub async fn count_open_tasks(
    session: State<'_, Session>,
    now: DateTime<Utc>,
    day_end: DateTime<Utc>,
) -> Reply<bidwell_core::dashboard::TaskCounts> {
    session.workspace().await.map_err(api)?.count_open_tasks(now, day_end).await.map_err(api)
}

/// The names of many records at once (what the shown tasks are about).
#[tauri::command]
pub async fn subject_names(session: State<'_, Session>, subjects: Vec<Subject>) -> Reply<Vec<SubjectName>> {
    session.workspace().await.map_err(api)?.subject_names(&subjects).await.map_err(api)
}

/// The bids board in one call: its columns (`list_bids` for each), the
/// counts by status and the marketplace accounts, one round trip.
#[tauri::command]
pub async fn bid_board(
    session: State<'_, Session>,
    filter: BidFilter,
    columns: Vec<BidColumnRequest>,
) -> Reply<BidBoard> {
    session.workspace().await.map_err(api)?.bid_board(&filter, &columns).await.map_err(api)
}

/// How many bids each status holds under a filter (the table's counts).
#[tauri::command]
pub async fn count_bids_by_status(session: State<'_, Session>, filter: BidFilter) -> Reply<Vec<BidStatusCount>> {
    session.workspace().await.map_err(api)?.count_bids_by_status(&filter).await.map_err(api)
}

#[tauri::command]
pub async fn set_bid_status(session: State<'_, Session>, id: Id, status: BidStatus) -> Reply<Bid> {
    session.workspace().await.map_err(api)?.set_bid_status(id, status).await.map_err(api)
}

#[tauri::command]
pub async fn set_milestone_status(session: State<'_, Session>, id: Id, status: MilestoneStatus) -> Reply<Milestone> {
    session.workspace().await.map_err(api)?.set_milestone_status(id, status).await.map_err(api)
}

/// A client's page as it opens: the client, the first page of each of its
/// lists and its consents, in one call (each list goes on with its own).
#[tauri::command]
pub async fn client_page(session: State<'_, Session>, id: Id, request: ClientPageRequest) -> Reply<ClientPage> {
    session.workspace().await.map_err(api)?.client_page(id, &request).await.map_err(api)
}

/// The bids on a client's jobs, a page at a time: the client's page asks once, not once per job.
#[tauri::command]
pub async fn list_bids_on_client_jobs(
    session: State<'_, Session>,
    client_id: Id,
    page: PageRequest,
) -> Reply<Page<Bid>> {
    session.workspace().await.map_err(api)?.list_bids_on_client_jobs(client_id, &page).await.map_err(api)
}

/// The milestones of a client's projects, a page at a time: the client's page asks once, not once per project.
#[tauri::command]
pub async fn list_milestones_of_client_projects(
    session: State<'_, Session>,
    client_id: Id,
    page: PageRequest,
) -> Reply<Page<Milestone>> {
    session.workspace().await.map_err(api)?.list_milestones_of_client_projects(client_id, &page).await.map_err(api)
}

/// "Due today" ends where the user's day does: their clock is
/// `utc_offset_minutes` ahead of UTC.
#[tauri::command]
pub async fn dashboard(
    session: State<'_, Session>,
    months: u32,
    utc_offset_minutes: i32,
) -> Reply<bidwell_core::dashboard::Dashboard> {
    session.workspace().await.map_err(api)?.dashboard_in_zone(months, utc_offset_minutes).await.map_err(api)
}

// Home currency and exchange rates (Settings → Currency).

#[tauri::command]
pub async fn home_currency(session: State<'_, Session>) -> Reply<Option<String>> {
    session.workspace().await.map_err(api)?.home_currency().await.map_err(api)
}

/// Picks the currency the dashboard converts into; none shows a chart per currency.
#[tauri::command]
pub async fn set_home_currency(session: State<'_, Session>, code: Option<String>) -> Reply<Option<String>> {
    session.workspace().await.map_err(api)?.set_home_currency(code.as_deref()).await.map_err(api)
}

/// The latest rate of each base and currency.
#[tauri::command]
pub async fn list_rates(session: State<'_, Session>) -> Reply<Vec<rates::ExchangeRate>> {
    session.workspace().await.map_err(api)?.list_rates().await.map_err(api)
}

#[tauri::command]
pub async fn set_rate(session: State<'_, Session>, rate: rates::NewExchangeRate) -> Reply<rates::ExchangeRate> {
    session.workspace().await.map_err(api)?.set_rate(rate).await.map_err(api)
}

#[tauri::command]
pub async fn update_rate(
    session: State<'_, Session>,
    id: Id,
    rate: rates::NewExchangeRate,
) -> Reply<rates::ExchangeRate> {
    session.workspace().await.map_err(api)?.update_rate(id, rate).await.map_err(api)
}

#[tauri::command]
pub async fn delete_rate(session: State<'_, Session>, id: Id) -> Reply<()> {
    session.workspace().await.map_err(api)?.delete_rate(id).await.map_err(api)
}

/// Imports an ECB reference-rate CSV the user chose (`choose_import_file`).
#[tauri::command]
pub async fn import_rates(
    session: State<'_, Session>,
    chosen: State<'_, ChosenFiles>,
    file: String,
) -> Reply<rates::RateImportSummary> {
    let path = chosen.file_to_open(&file).map_err(api)?;
    session.workspace().await.map_err(api)?.import_rates(&path).await.map_err(api)
}

// Long work: progress goes out on the caller's channel; `cancel_work` stops it.

/// Fills the open workspace with the demo data set ("Try with sample data").
#[tauri::command]
pub async fn seed_sample_data(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    on_progress: Channel<Progress>,
) -> Reply<SeedSummary> {
    let ticket = work.start();
    let workspace = session.workspace().await.map_err(api)?;
    let mut report = |done, total| drop(on_progress.send(ticket.progress("sample data", done, total)));
    seed::seed_workspace_cancellable(&workspace, &SeedPlan::sample(), &mut report, &ticket.cancel).await.map_err(api)
}

/// "Try with sample data" also connects the demo marketplace, run in this process.
#[tauri::command]
pub async fn connect_demo_market(session: State<'_, Session>, kind: Option<MarketKind>) -> Reply<MarketAccount> {
    session.connect_demo_market(kind.unwrap_or(MarketKind::Bidwell)).await.map_err(api)
}

/// Which connected account is the demo (Settings → Marketplaces marks it).
#[tauri::command]
pub async fn demo_market_account(session: State<'_, Session>) -> Reply<Option<Id>> {
    session.workspace().await.map_err(api)?.demo_market_account().await.map_err(api)
}

/// Says whether the work was still running.
#[tauri::command]
pub fn cancel_work(work: State<'_, LongWork>, ticket: u64) -> bool {
    work.cancel(ticket)
}

// Privacy: Settings → Privacy and a client's page.

#[tauri::command]
pub async fn privacy_overview(session: State<'_, Session>) -> Reply<PrivacyOverview> {
    session.workspace().await.map_err(api)?.privacy_overview().await.map_err(api)
}

/// The current consents: the user's own, or a client's.
#[tauri::command]
pub async fn consents(session: State<'_, Session>, client_id: Option<Id>) -> Reply<Vec<ConsentState>> {
    session.workspace().await.map_err(api)?.consents(client_id).await.map_err(api)
}

#[tauri::command]
pub async fn consent_history(session: State<'_, Session>, client_id: Option<Id>) -> Reply<Vec<ConsentRecord>> {
    session.workspace().await.map_err(api)?.consent_history(client_id).await.map_err(api)
}

/// Whatever the window sends, a change made here was made in the UI.
#[tauri::command]
pub async fn record_consent(session: State<'_, Session>, change: ConsentChange) -> Reply<ConsentRecord> {
    let change = ConsentChange { method: ConsentMethod::Ui, ..change };
    session.workspace().await.map_err(api)?.record_consent(change).await.map_err(api)
}

/// Opting out also clears the webview's storage, as the core asks.
#[tauri::command]
pub async fn set_analytics(
    session: State<'_, Session>,
    webview: tauri::Webview,
    enabled: bool,
) -> Reply<AnalyticsStatus> {
    let workspace = session.workspace().await.map_err(api)?;
    let status = workspace.set_analytics(enabled, ConsentMethod::Ui).await.map_err(api)?;
    if status.clear_webview_storage {
        webview.clear_all_browsing_data().map_err(|e| platform("the window's stored data could not be cleared", e))?;
        return workspace.webview_storage_cleared().await.map_err(api);
    }
    Ok(status)
}

/// A screen the window opened; never fails (see `Session::count_usage`).
/// A name outside the catalogue is refused before it gets here.
#[tauri::command]
pub async fn count_usage(session: State<'_, Session>, event: UsageEvent) -> Reply<()> {
    session.count_usage(event).await;
    Ok(())
}

/// Exactly what the next sync would send about usage, and where.
#[tauri::command]
pub async fn usage_preview(session: State<'_, Session>) -> Reply<UsagePreview> {
    session.workspace().await.map_err(api)?.usage_preview().await.map_err(api)
}

#[tauri::command]
pub async fn retention(session: State<'_, Session>) -> Reply<RetentionStatus> {
    session.workspace().await.map_err(api)?.retention().await.map_err(api)
}

#[tauri::command]
pub async fn set_retention(session: State<'_, Session>, rules: RetentionRules) -> Reply<RetentionStatus> {
    session.workspace().await.map_err(api)?.set_retention(&rules).await.map_err(api)
}

#[tauri::command]
pub async fn run_retention(session: State<'_, Session>) -> Reply<RetentionSummary> {
    session.workspace().await.map_err(api)?.run_retention().await.map_err(api)
}

/// What erasing the client would delete, keep or be blocked by.
#[tauri::command]
pub async fn erasure_preview(session: State<'_, Session>, client_id: Id) -> Reply<ErasurePlan> {
    session.workspace().await.map_err(api)?.erasure_preview(client_id).await.map_err(api)
}

#[tauri::command]
pub async fn erase_client(session: State<'_, Session>, client_id: Id) -> Reply<ErasurePlan> {
    session.workspace().await.map_err(api)?.erase_client(client_id).await.map_err(api)
}

#[tauri::command]
pub async fn set_client_restricted(session: State<'_, Session>, client_id: Id, restricted: bool) -> Reply<Client> {
    session.workspace().await.map_err(api)?.set_client_restricted(client_id, restricted).await.map_err(api)
}

#[tauri::command]
pub async fn audit_log(session: State<'_, Session>) -> Reply<Vec<audit::AuditEntry>> {
    session.workspace().await.map_err(api)?.audit_log().await.map_err(api)
}

#[tauri::command]
pub async fn verify_audit_log(session: State<'_, Session>) -> Reply<AuditVerification> {
    session.workspace().await.map_err(api)?.audit_verification().await.map_err(api)
}

/// Destroys the workspace once `confirm` is its name; works locked too.
#[tauri::command]
pub async fn wipe(session: State<'_, Session>, confirm: String) -> Reply<WipeReport> {
    session.wipe(&confirm).await.map_err(api)
}

/// Asks every connected marketplace to erase the user's data first; if one
/// does not accept, nothing is wiped (`erasure_request_failed`).
#[tauri::command]
pub async fn wipe_asking_marketplaces(
    session: State<'_, Session>,
    engine: State<'_, SyncEngine>,
    confirm: String,
) -> Reply<WipeReport> {
    session.wipe_asking_marketplaces(&confirm, &engine).await.map_err(api)
}

/// Asks each connected marketplace (or only `account_id`) to erase the user's data there.
#[tauri::command]
pub async fn request_marketplace_erasure(
    session: State<'_, Session>,
    engine: State<'_, SyncEngine>,
    account_id: Option<Id>,
) -> Reply<Vec<ErasureRequestOutcome>> {
    engine.request_erasure(&*session.workspace().await.map_err(api)?, account_id).await.map_err(api)
}

// Sync: marketplace accounts, the outbox, conflicts and what left the machine.

/// One pass over every connected marketplace, with progress and cancel.
#[tauri::command]
pub async fn sync_now(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    engine: State<'_, SyncEngine>,
    on_progress: Channel<Progress>,
) -> Reply<SyncReport> {
    let ticket = work.start();
    let workspace = session.workspace().await.map_err(api)?;
    let mut report = phases_to(&ticket, &on_progress);
    engine.sync_on_request(&workspace, &mut report, &ticket.cancel).await.map_err(api)
}

#[tauri::command]
pub async fn sync_status(session: State<'_, Session>) -> Reply<SyncStatus> {
    session.workspace().await.map_err(api)?.sync_status().await.map_err(api)
}

/// Puts failed changes back in the queue; returns how many came back.
#[tauri::command]
pub async fn retry_failed(session: State<'_, Session>) -> Reply<u64> {
    session.workspace().await.map_err(api)?.retry_failed().await.map_err(api)
}

#[tauri::command]
pub async fn sync_outbox(session: State<'_, Session>) -> Reply<Vec<OutboxEntry>> {
    session.workspace().await.map_err(api)?.outbox().await.map_err(api)
}

#[tauri::command]
pub async fn sync_conflicts(session: State<'_, Session>) -> Reply<Vec<SyncConflict>> {
    session.workspace().await.map_err(api)?.sync_conflicts().await.map_err(api)
}

#[tauri::command]
pub async fn resolve_conflict(session: State<'_, Session>, id: Id, resolution: Resolution) -> Reply<()> {
    session.workspace().await.map_err(api)?.resolve_conflict(id, resolution).await.map_err(api)
}

/// What left the machine, newest first.
#[tauri::command]
pub async fn transparency_log(session: State<'_, Session>, limit: u32) -> Reply<Vec<TransparencyEntry>> {
    session.workspace().await.map_err(api)?.transparency_log(limit).await.map_err(api)
}

#[tauri::command]
pub async fn market_accounts(session: State<'_, Session>) -> Reply<Vec<MarketAccount>> {
    session.workspace().await.map_err(api)?.market_accounts().await.map_err(api)
}

/// The kinds of marketplace the Connect form offers, with what each can do.
#[tauri::command]
pub fn market_kinds() -> Vec<MarketKindInfo> {
    bidwell_core::sync::market_kinds()
}

/// Connecting in the window is the user's consent to share, given in the UI.
#[tauri::command]
pub async fn add_market_account(
    session: State<'_, Session>,
    account: NewMarketAccount,
    token: String,
) -> Reply<MarketAccount> {
    let workspace = session.workspace().await.map_err(api)?;
    let secrets = MarketSecrets::token(ApiToken::new(token));
    workspace.connect_market_account(&account, secrets, None, ConsentMethod::Ui).await.map_err(api)
}

/// Starts signing in (a new account, or `again` an existing one) and opens
/// the marketplace's page in the system browser. The window shows the
/// address too, for when no browser opens.
#[tauri::command]
pub async fn begin_market_sign_in(
    app: tauri::AppHandle,
    session: State<'_, Session>,
    account: Option<NewMarketAccount>,
    again: Option<Id>,
    client_secret: Option<String>,
) -> Reply<SignInStarted> {
    use tauri_plugin_opener::OpenerExt;
    let target = SignInTarget::of(account, again).map_err(api)?;
    let started = session.begin_market_sign_in(target, client_secret.map(ApiToken::new)).await.map_err(api)?;
    if let Err(e) = app.opener().open_url(&started.browser_url, None::<&str>) {
        // The window shows the address to open by hand.
        log::warn!("the system browser did not open: {e}");
    }
    Ok(started)
}

/// Waits for the browser to come back, then stores the sign-in.
#[tauri::command]
pub async fn finish_market_sign_in(session: State<'_, Session>, sign_in_id: Id) -> Reply<MarketAccount> {
    session.finish_market_sign_in(sign_in_id).await.map_err(api)
}

#[tauri::command]
pub fn cancel_market_sign_in(session: State<'_, Session>, sign_in_id: Id) {
    session.cancel_market_sign_in(sign_in_id);
}

#[tauri::command]
pub async fn set_market_token(session: State<'_, Session>, id: Id, token: String) -> Reply<()> {
    session.workspace().await.map_err(api)?.set_market_token(id, ApiToken::new(token)).await.map_err(api)
}

/// What disconnecting would drop and keep, for the confirmation.
#[tauri::command]
pub async fn market_account_removal_preview(session: State<'_, Session>, id: Id) -> Reply<AccountRemoval> {
    session.workspace().await.map_err(api)?.market_account_removal_preview(id).await.map_err(api)
}

#[tauri::command]
pub async fn remove_market_account(session: State<'_, Session>, id: Id) -> Reply<AccountRemoval> {
    session.remove_market_account(id).await.map_err(api)
}

#[tauri::command]
pub async fn add_saved_search(
    session: State<'_, Session>,
    account_id: Id,
    name: String,
    query: Option<String>,
    skills: Vec<String>,
) -> Reply<SavedSearch> {
    let workspace = session.workspace().await.map_err(api)?;
    workspace.add_saved_search(account_id, &name, query, skills).await.map_err(api)
}

#[tauri::command]
pub async fn saved_searches(session: State<'_, Session>) -> Reply<Vec<SavedSearch>> {
    session.workspace().await.map_err(api)?.saved_searches().await.map_err(api)
}

#[tauri::command]
pub async fn submit_bid(session: State<'_, Session>, id: Id) -> Reply<Bid> {
    session.workspace().await.map_err(api)?.submit_bid(id).await.map_err(api)
}

/// "Mark as placed": the user placed the bid on the marketplace's website.
#[tauri::command]
pub async fn mark_bid_placed(session: State<'_, Session>, id: Id) -> Reply<Bid> {
    session.workspace().await.map_err(api)?.mark_bid_placed(id).await.map_err(api)
}

/// Opens a job's page on its marketplace's website in the system browser.
#[tauri::command]
pub async fn open_job_page(app: tauri::AppHandle, session: State<'_, Session>, id: Id) -> Reply<()> {
    use tauri_plugin_opener::OpenerExt;
    let job = session.workspace().await.map_err(api)?.job(id).await.map_err(api)?;
    // The marketplace's website, or a reference server on this machine standing in for it.
    let local = |u: &str| ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"].iter().any(|p| u.starts_with(p));
    let Some(url) = job.url.filter(|u| u.starts_with("https://") || local(u)) else {
        return Err(api(Error::validation("url", "this job has no web page address")));
    };
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| api(Error::validation("url", format!("the system browser did not open: {e}"))))
}

#[tauri::command]
pub async fn withdraw_bid(session: State<'_, Session>, id: Id) -> Reply<Bid> {
    session.workspace().await.map_err(api)?.withdraw_bid(id).await.map_err(api)
}

#[cfg(test)]
mod tests {
    /// The rule of the house, checked: a command is a few lines over the core.
    /// Anything longer is logic that belongs in crates/core, where it is tested.
    #[test]
    fn every_command_is_a_few_lines() {
        const MAX_LINES: usize = 16;
        let source = include_str!("commands.rs");
        let mut long = Vec::new();
        for chunk in source.split("#[tauri::command]").skip(1) {
            let name = chunk.split("fn ").nth(1).and_then(|s| s.split(['(', '<']).next()).unwrap_or("?");
            let body: Vec<&str> = chunk.lines().take_while(|l| *l != "}").collect();
            if body.len() > MAX_LINES {
                long.push(format!("{name}: {} lines", body.len()));
            }
        }
        assert!(source.matches("#[tauri::command]").count() > 40, "the commands were not found");
        assert!(long.is_empty(), "commands longer than {MAX_LINES} lines: {long:?}");
    }

    /// Issue #13 part 7: a page must not name a file to read or write, so no
    /// command takes a path; files come from the shell's dialogs as handles.
    #[test]
    fn no_command_takes_a_path_from_the_window() {
        let source = include_str!("commands.rs");
        let mut taking = Vec::new();
        for chunk in source.split("#[tauri::command]").skip(1).filter(|c| c.starts_with("\npub ")) {
            let signature = chunk.split(" -> ").next().unwrap_or_default();
            let name = signature.split("fn ").nth(1).and_then(|s| s.split(['(', '<']).next()).unwrap_or("?");
            let params = signature.split_once('(').map(|(_, p)| p).unwrap_or_default();
            for param in params.split(',').map(str::trim) {
                let (arg, ty) = param.split_once(':').unwrap_or((param, ""));
                if arg.contains("path") || arg.contains("folder") || ty.contains("Path") {
                    taking.push(format!("{name}({param})"));
                }
            }
        }
        assert!(source.contains("fn export_archive("), "the commands were not found");
        assert!(taking.is_empty(), "commands that take a path from the window: {taking:?}");
    }
}

// Custom fields: Settings → Custom fields defines them per kind; the record
// forms set their values (as `fields` of a new record or a patch).

#[tauri::command]
pub async fn custom_fields(session: State<'_, Session>, kind: Option<EntityKind>) -> Reply<Vec<CustomField>> {
    session.workspace().await.map_err(api)?.custom_fields(kind).await.map_err(api)
}

#[tauri::command]
pub async fn define_custom_field(session: State<'_, Session>, new: NewCustomField) -> Reply<CustomField> {
    session.workspace().await.map_err(api)?.define_custom_field(new).await.map_err(api)
}

#[tauri::command]
pub async fn update_custom_field(session: State<'_, Session>, id: Id, patch: CustomFieldPatch) -> Reply<CustomField> {
    session.workspace().await.map_err(api)?.update_custom_field(id, patch).await.map_err(api)
}

/// How many records hold a value of the field: what deleting it removes (asked first).
#[tauri::command]
pub async fn custom_field_usage(session: State<'_, Session>, id: Id) -> Reply<u64> {
    session.workspace().await.map_err(api)?.custom_field_usage(id).await.map_err(api)
}

#[tauri::command]
pub async fn delete_custom_field(session: State<'_, Session>, id: Id) -> Reply<u64> {
    session.workspace().await.map_err(api)?.delete_custom_field(id).await.map_err(api)
}

// Backups: Settings → Backups and the overdue banner. The folder is chosen in
// a native dialog here, so no path ever comes from the window.

#[tauri::command]
pub async fn backup_status(session: State<'_, Session>) -> Reply<BackupStatus> {
    session.backup_status().await.map_err(api)
}

#[tauri::command]
pub async fn backup_now(session: State<'_, Session>) -> Reply<BackupInfo> {
    session.backup_now().await.map_err(api)
}

#[tauri::command]
pub async fn verify_backup(session: State<'_, Session>, snapshot: String) -> Reply<BackupVerification> {
    let snapshot = bidwell_core::backup::snapshot_name(&snapshot).map_err(api)?;
    session.workspace().await.map_err(api)?.verify_backup(snapshot).await.map_err(api)
}

#[tauri::command]
pub async fn set_backup_overdue_days(session: State<'_, Session>, days: i64) -> Reply<()> {
    session.workspace().await.map_err(api)?.set_backup_overdue_days(days).await.map_err(api)
}

/// The platform's folder dialog, then the setting; the new folder for
/// display, or `None` when the user cancels the dialog.
#[tauri::command]
pub async fn choose_backup_folder(session: State<'_, Session>, app: tauri::AppHandle) -> Reply<Option<String>> {
    let chosen = app.dialog().file().set_title("Folder for backups").blocking_pick_folder();
    let Some(folder) = chosen.and_then(|p| p.into_path().ok()) else { return Ok(None) };
    let set = session.workspace().await.map_err(api)?.set_backup_folder(&folder).await.map_err(api)?;
    Ok(Some(set.display().to_string()))
}

/// Where a long operation's steps go: the window's progress channel, under
/// the ticket the window can cancel by.
fn steps_to<'a>(
    ticket: &'a WorkTicket<'_>,
    channel: &'a Channel<Progress>,
) -> impl FnMut(portability::Step) + Send + 'a {
    move |step| drop(channel.send(ticket.progress(&step.stage, step.done, step.total)))
}

/// The same for work that reports `(phase, done, total)` (sync, unlock).
fn phases_to<'a>(ticket: &'a WorkTicket<'_>, channel: &'a Channel<Progress>) -> impl FnMut(&str, u64, u64) + Send + 'a {
    move |phase, done, total| drop(channel.send(ticket.progress(phase, done, total)))
}

/// Replaces the workspace with a snapshot (a backup of the current state is
/// taken first); progress and cancel like other long work, and locking stops it.
#[tauri::command]
pub async fn restore_backup(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    snapshot: String,
    on_progress: Channel<Progress>,
) -> Reply<RestoreReport> {
    let snapshot = bidwell_core::backup::snapshot_name(&snapshot).map_err(api)?;
    let ticket = work.start();
    let mut report = steps_to(&ticket, &on_progress);
    let workspace = session.workspace().await.map_err(api)?;
    workspace.restore_backup(snapshot, &mut report, &ticket.cancel).await.map_err(api)
}

// Export and import: native dialogs choose the file; the work reports progress.

/// The platform's save dialog; `None` when the user cancels it. The path
/// stays here: the window gets a handle to export to (portability/chosen.rs).
#[tauri::command]
pub async fn choose_save_path(
    app: tauri::AppHandle,
    chosen: State<'_, ChosenFiles>,
    suggested_name: String,
    kind: portability::FileKind,
) -> Reply<Option<ChosenFile>> {
    let (label, extensions) = kind.filter();
    let dialog = app.dialog().file().set_file_name(&suggested_name).add_filter(label, extensions);
    Ok(dialog.blocking_save_file().and_then(|p| p.into_path().ok()).map(|path| chosen.chose_save(path, kind)))
}

/// The platform's open dialog for a file to import; `None` when cancelled.
#[tauri::command]
pub async fn choose_import_file(app: tauri::AppHandle, chosen: State<'_, ChosenFiles>) -> Reply<Option<ChosenFile>> {
    let (label, extensions) = portability::FileKind::Importable.filter();
    let dialog = app.dialog().file().add_filter(label, extensions);
    Ok(dialog.blocking_pick_file().and_then(|p| p.into_path().ok()).map(|path| chosen.chose_open(path)))
}

#[tauri::command]
pub async fn export_archive(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    chosen: State<'_, ChosenFiles>,
    file: String,
    options: portability::ExportOptions,
    password: Option<String>,
    on_progress: Channel<Progress>,
) -> Reply<portability::ExportSummary> {
    let dest = chosen.take_save_target(&file, portability::FileKind::Archive).map_err(api)?;
    let (ticket, password) = (work.start(), password.map(Passphrase::new));
    let mut report = steps_to(&ticket, &on_progress);
    let workspace = session.workspace().await.map_err(api)?;
    workspace.export(&dest, &options, password.as_ref(), &mut report, &ticket.cancel).await.map_err(api)
}

#[tauri::command]
pub async fn export_vcard(
    session: State<'_, Session>,
    chosen: State<'_, ChosenFiles>,
    file: String,
    client: Option<Id>,
) -> Reply<portability::VcardExportSummary> {
    let dest = chosen.take_save_target(&file, portability::FileKind::Vcard).map_err(api)?;
    let workspace = session.workspace().await.map_err(api)?;
    workspace.export_vcard(&dest, client).await.map_err(api)
}

#[tauri::command]
pub async fn export_ics(
    session: State<'_, Session>,
    chosen: State<'_, ChosenFiles>,
    file: String,
) -> Reply<portability::IcsExportSummary> {
    let dest = chosen.take_save_target(&file, portability::FileKind::Calendar).map_err(api)?;
    let workspace = session.workspace().await.map_err(api)?;
    workspace.export_ics(&dest).await.map_err(api)
}

/// How strong an export password is for a container: the export dialog's
/// meter, computed by the same rule the export enforces.
#[tauri::command]
pub async fn export_password_strength(
    session: State<'_, Session>,
    password: String,
    container: portability::ArchiveContainer,
) -> Reply<portability::PasswordStrength> {
    let workspace = session.workspace().await.map_err(api)?;
    Ok(workspace.export_password_strength(&Passphrase::new(password), container).await)
}

#[tauri::command]
pub async fn import_file(
    session: State<'_, Session>,
    work: State<'_, LongWork>,
    chosen: State<'_, ChosenFiles>,
    file: String,
    options: portability::ImportOptions,
    password: Option<String>,
    on_progress: Channel<Progress>,
) -> Reply<portability::ImportSummary> {
    let path = chosen.file_to_open(&file).map_err(api)?;
    let (ticket, password) = (work.start(), password.map(Passphrase::new));
    let mut report = steps_to(&ticket, &on_progress);
    let workspace = session.workspace().await.map_err(api)?;
    workspace.import(&path, &options, password.as_ref(), &mut report, &ticket.cancel).await.map_err(api)
}
