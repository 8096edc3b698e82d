// Typed calls into the Rust core. Every type comes from ./bindings (generated
// from Rust); errors arrive as ApiError and callers switch on `code`.
import { Channel, invoke } from "@tauri-apps/api/core";
import { track } from "./perf";
import type { ConsentChange } from "./bindings/ConsentChange";
import type { ClientPageRequest } from "./bindings/ClientPageRequest";
import type { RetentionRules } from "./bindings/RetentionRules";
import type { UsageEvent } from "./bindings/UsageEvent";
import type { ErasureRequestOutcome } from "./bindings/ErasureRequestOutcome";
import type { ExportOptions } from "./bindings/ExportOptions";
import type { ArchiveContainer } from "./bindings/ArchiveContainer";
import type { FileKind } from "./bindings/FileKind";
import type { ChosenFile } from "./bindings/ChosenFile";
import type { ImportOptions } from "./bindings/ImportOptions";
import type { ActivityFilter } from "./bindings/ActivityFilter";
import type { ActivityPatch } from "./bindings/ActivityPatch";
import type { ApiError } from "./bindings/ApiError";
import type { Commands } from "./bindings/Commands";
import type { CustomFieldPatch } from "./bindings/CustomFieldPatch";
import type { NewCustomField } from "./bindings/NewCustomField";
import type { NewExchangeRate } from "./bindings/NewExchangeRate";
import type { BidColumnRequest } from "./bindings/BidColumnRequest";
import type { BidFilter } from "./bindings/BidFilter";
import type { BidPatch } from "./bindings/BidPatch";
import type { BidStatus } from "./bindings/BidStatus";
import type { ClientFilter } from "./bindings/ClientFilter";
import type { ClientPatch } from "./bindings/ClientPatch";
import type { ContactFilter } from "./bindings/ContactFilter";
import type { ContactPatch } from "./bindings/ContactPatch";
import type { EntityKind } from "./bindings/EntityKind";
import type { Id } from "./bindings/Id";
import type { JobFilter } from "./bindings/JobFilter";
import type { JobPatch } from "./bindings/JobPatch";
import type { MilestoneFilter } from "./bindings/MilestoneFilter";
import type { MilestonePatch } from "./bindings/MilestonePatch";
import type { MilestoneStatus } from "./bindings/MilestoneStatus";
import type { NewActivity } from "./bindings/NewActivity";
import type { NewBid } from "./bindings/NewBid";
import type { NewClient } from "./bindings/NewClient";
import type { NewContact } from "./bindings/NewContact";
import type { NewJob } from "./bindings/NewJob";
import type { NewMilestone } from "./bindings/NewMilestone";
import type { NewProject } from "./bindings/NewProject";
import type { NewTask } from "./bindings/NewTask";
import type { PageRequest } from "./bindings/PageRequest";
import type { Preferences } from "./bindings/Preferences";
import type { Progress } from "./bindings/Progress";
import type { ProjectFilter } from "./bindings/ProjectFilter";
import type { ProjectPatch } from "./bindings/ProjectPatch";
import type { TaskFilter } from "./bindings/TaskFilter";
import type { TaskPatch } from "./bindings/TaskPatch";
import type { Subject } from "./bindings/Subject";
import type { BidTerms } from "./bindings/BidTerms";
import type { MarketAccount } from "./bindings/MarketAccount";
import type { MarketKindInfo } from "./bindings/MarketKindInfo";
import type { NewMarketAccount } from "./bindings/NewMarketAccount";
import type { SignInStarted } from "./bindings/SignInStarted";
import type { Capabilities } from "./bindings/Capabilities";
import type { AccountRemoval } from "./bindings/AccountRemoval";
import type { Resolution } from "./bindings/Resolution";
import type { SavedSearch } from "./bindings/SavedSearch";
import type { SyncConflict } from "./bindings/SyncConflict";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TransparencyEntry } from "./bindings/TransparencyEntry";

export type { ApiError, ErasureRequestOutcome, Progress };
export type { Capabilities, MarketKindInfo, NewMarketAccount, SignInStarted };
export type { AccountRemoval, BidTerms, MarketAccount, SavedSearch, SyncConflict, SyncStatus, TransparencyEntry };

/** An error in one line for a notice: a validation error names its field. */
export function describe(err: ApiError): string {
  return err.field ? `${err.field.replace(/_/g, " ")}: ${err.message}` : err.message;
}

/**
 * A refusal as errors for a form: a validation error goes beside its field
 * (`fieldKey` maps the core's field name to the form's; undefined puts it
 * above the whole form), anything else above the whole form.
 */
export function formErrors(err: ApiError, fieldKey: (field: string) => string | undefined = (f) => f): Record<string, string> {
  const key = err.field ? fieldKey(err.field) : undefined;
  return key ? { [key]: err.message } : { form: describe(err) };
}

/** Anything thrown by a call is an ApiError; this narrows what `catch` gets. */
export function asApiError(raw: unknown): ApiError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) return raw as ApiError;
  return { code: "internal", message: String(raw), transient: false };
}

type CommandName = keyof Commands;
type ArgsOf<C extends CommandName> = Commands[C]["args"];

/** Commands whose answer changes nothing on screen: an action being timed does not wait for them. */
const DRAWS_NOTHING: ReadonlySet<CommandName> = new Set(["count_usage"]);

/** Calls a command of src-tauri/commands.rs; its name, arguments and result are checked against them. */
async function call<C extends CommandName>(
  command: C,
  ...args: ArgsOf<C> extends Record<string, never> ? [] : [ArgsOf<C>]
): Promise<Commands[C]["returns"]> {
  try {
    const answer = invoke<Commands[C]["returns"]>(command, args[0]);
    // Timed only while the window benchmark times an action (perf.ts).
    return await (DRAWS_NOTHING.has(command) ? answer : track(command, answer));
  } catch (raw) {
    throw asApiError(raw);
  }
}

export const session = {
  state: () => call("session_state"),
  /** No passphrase: the key goes to the OS keychain. Returns the recovery key. */
  create: (name: string, passphrase: string | null) => call("create_workspace", { name, passphrase }),
  /** The first unlock after an update reports its backup and update steps to `onProgress`. */
  unlock: (passphrase: string | null, onProgress: (progress: Progress) => void) =>
    call("unlock", { passphrase, onProgress: progressChannel(onProgress) }),
  unlockWithRecoveryKey: (recoveryKey: string, onProgress: (progress: Progress) => void) =>
    call("unlock_with_recovery_key", { recoveryKey, onProgress: progressChannel(onProgress) }),
  lock: () => call("lock"),
  /** Asks for the current passphrase again before changing it. */
  changePassphrase: (currentPassphrase: string, newPassphrase: string) =>
    call("change_passphrase", { currentPassphrase, newPassphrase }),
  /** Re-encrypts under a new key; returns the new recovery key (the old one stops working). */
  rotateKey: (currentPassphrase: string | null) => call("rotate_key", { currentPassphrase }),
  /** The user saved the recovery key they were shown ("I saved it"); the window stops asking for a new one. */
  confirmRecoveryKeySaved: () => call("confirm_recovery_key_saved"),
  doctor: () => call("doctor"),
  /** Reads and decrypts the whole database: healthy, damaged (what it found) or stopped. */
  checkIntegrity: () => call("check_integrity"),
  /** Ends a running checkIntegrity with "stopped"; nothing when none runs. */
  stopIntegrityCheck: () => call("stop_integrity_check"),
  /** Compares the search index with the records and mends what disagrees. */
  checkSearchIndex: () => call("check_search_index"),
  /** Adds up the bids, milestones and tasks again and mends the kept totals (board, dashboard, task list) where they disagree. */
  checkKeptTotals: () => call("check_kept_totals"),
  preferences: () => call("preferences"),
  setPreferences: (preferences: Preferences) => call("set_preferences", { preferences }),
};

/** The page a list asks for; `after` is the previous page's `next`. */
export function page(limit: number, after: string | null = null, sort: PageRequest["sort"] = "newest"): PageRequest {
  const request: PageRequest = { limit, sort, include_deleted: false };
  if (after !== null) request.after = after;
  return request;
}

// Create, get, list and update for each kind of record.
export const clients = {
  create: (item: NewClient) => call("create_client", { new: item }),
  get: (id: Id) => call("get_client", { id }),
  /** A client's page as it opens: the client, the first page of each of its lists and its consents, in one call. */
  page: (id: Id, request: ClientPageRequest) => call("client_page", { id, request }),
  list: (filter: ClientFilter, request: PageRequest) => call("list_clients", { filter, page: request }),
  update: (id: Id, patch: ClientPatch) => call("update_client", { id, patch }),
};
export const contacts = {
  create: (item: NewContact) => call("create_contact", { new: item }),
  get: (id: Id) => call("get_contact", { id }),
  list: (filter: ContactFilter, request: PageRequest) => call("list_contacts", { filter, page: request }),
  update: (id: Id, patch: ContactPatch) => call("update_contact", { id, patch }),
};
export const projects = {
  create: (item: NewProject) => call("create_project", { new: item }),
  get: (id: Id) => call("get_project", { id }),
  list: (filter: ProjectFilter, request: PageRequest) => call("list_projects", { filter, page: request }),
  update: (id: Id, patch: ProjectPatch) => call("update_project", { id, patch }),
};
export const jobs = {
  create: (item: NewJob) => call("create_job", { new: item }),
  get: (id: Id) => call("get_job", { id }),
  list: (filter: JobFilter, request: PageRequest) => call("list_jobs", { filter, page: request }),
  update: (id: Id, patch: JobPatch) => call("update_job", { id, patch }),
};
export const bids = {
  create: (item: NewBid) => call("create_bid", { new: item }),
  get: (id: Id) => call("get_bid", { id }),
  list: (filter: BidFilter, request: PageRequest) => call("list_bids", { filter, page: request }),
  update: (id: Id, patch: BidPatch) => call("update_bid", { id, patch }),
  setStatus: (id: Id, status: BidStatus) => call("set_bid_status", { id, status }),
  /** The bids on all of a client's jobs in one call (a client's page), not one call per job. */
  onClientJobs: (clientId: Id, request: PageRequest) => call("list_bids_on_client_jobs", { clientId, page: request }),
  /**
   * The board in one call: its columns, one list of bids each (the column's
   * status in place of the filter's), the counts by status and the
   * marketplace accounts.
   */
  board: (filter: BidFilter, columns: BidColumnRequest[]) => call("bid_board", { filter, columns }),
  /** How many of the bids `filter` lists each status holds (statuses with none left out): the table's counts. */
  countByStatus: (filter: BidFilter) => call("count_bids_by_status", { filter }),
};
export const milestones = {
  create: (item: NewMilestone) => call("create_milestone", { new: item }),
  get: (id: Id) => call("get_milestone", { id }),
  list: (filter: MilestoneFilter, request: PageRequest) => call("list_milestones", { filter, page: request }),
  update: (id: Id, patch: MilestonePatch) => call("update_milestone", { id, patch }),
  setStatus: (id: Id, status: MilestoneStatus) => call("set_milestone_status", { id, status }),
  /** The milestones of all of a client's projects in one call (a client's page), not one call per project. */
  ofClientProjects: (clientId: Id, request: PageRequest) =>
    call("list_milestones_of_client_projects", { clientId, page: request }),
};
export const activities = {
  create: (item: NewActivity) => call("create_activity", { new: item }),
  get: (id: Id) => call("get_activity", { id }),
  list: (filter: ActivityFilter, request: PageRequest) => call("list_activities", { filter, page: request }),
  update: (id: Id, patch: ActivityPatch) => call("update_activity", { id, patch }),
};
export const tasks = {
  create: (item: NewTask) => call("create_task", { new: item }),
  get: (id: Id) => call("get_task", { id }),
  list: (filter: TaskFilter, request: PageRequest) => call("list_tasks", { filter, page: request }),
  update: (id: Id, patch: TaskPatch) => call("update_task", { id, patch }),
  /** Moves the reminder to `until` (UTC ISO, in the future); the due time stays. */
  snooze: (id: Id, until: string) => call("snooze_task", { id, until }),
  /** "Follow up in N days": one task about the record, reminding at `dueAt` (UTC ISO). */
  followUp: (subject: Subject, dueAt: string) => call("follow_up", { subject, dueAt }),
  /** Open tasks overdue (before `now`), due today (until `dayEnd`, the end of the user's day), upcoming, undated. */
  countOpen: (now: string, dayEnd: string) => call("count_open_tasks", { now, dayEnd }),
};

/** The names of many records in one call (at most 1000); a record that does not exist is left out. */
export const subjectNames = (subjects: Subject[]) => call("subject_names", { subjects });

/** Custom fields, defined per kind of record (Settings → Custom fields); values go in a record's `fields`. */
export const customFields = {
  list: (kind: EntityKind | null = null) => call("custom_fields", { kind }),
  define: (field: NewCustomField) => call("define_custom_field", { new: field }),
  update: (id: Id, patch: CustomFieldPatch) => call("update_custom_field", { id, patch }),
  /** How many records hold a value of it: what deleting it removes. */
  usage: (id: Id) => call("custom_field_usage", { id }),
  remove: (id: Id) => call("delete_custom_field", { id }),
};

export const remove = (kind: EntityKind, id: Id) => call("delete_record", { kind, id });
export const restore = (kind: EntityKind, id: Id) => call("restore_record", { kind, id });
export const search = (query: string, limit = 20) => call("search", { query, limit });
/** Settings → Currency: the home currency and the exchange rates the user keeps. */
export const rates = {
  home: () => call("home_currency"),
  /** null goes back to a chart per currency. */
  setHome: (code: string | null) => call("set_home_currency", { code }),
  /** The latest rate of each base and currency. */
  list: () => call("list_rates"),
  set: (rate: NewExchangeRate) => call("set_rate", { rate }),
  update: (id: Id, rate: NewExchangeRate) => call("update_rate", { id, rate }),
  remove: (id: Id) => call("delete_rate", { id }),
  /** An ECB reference-rate CSV the user chose with `portability.chooseImportFile`. */
  importFile: (file: ChosenFile) => call("import_rates", { file: file.handle }),
};

/** The dashboard's figures over the last `months` months; "due today" ends where the user's day does. */
export const dashboard = (months: number) =>
  call("dashboard", { months, utcOffsetMinutes: -new Date().getTimezoneOffset() });

/** A channel whose reports go to `onProgress`; long commands take one. */
function progressChannel(onProgress: (progress: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

/** Long work: each reports progress (with a ticket) and can be cancelled. */
export const work = {
  seedSampleData: (onProgress: (progress: Progress) => void) =>
    call("seed_sample_data", { onProgress: progressChannel(onProgress) }),
  /** Stops the work at its next safe point; what it finished stays. */
  cancel: (ticket: number) => call("cancel_work", { ticket }),
};

/** Settings → Privacy and the privacy part of a client's page. */
export const privacy = {
  overview: () => call("privacy_overview"),
  /** The user's own consents without a client id, else that client's. */
  consents: (clientId: Id | null = null) => call("consents", { clientId }),
  history: (clientId: Id | null = null) => call("consent_history", { clientId }),
  recordConsent: (change: ConsentChange) => call("record_consent", { change }),
  /** Opting out empties the queue and clears the window's stored data. */
  setAnalytics: (enabled: boolean) => call("set_analytics", { enabled }),
  /** The usage queue, what the next sync would send and where, before it is sent. */
  usagePreview: () => call("usage_preview"),
  /** A screen opened; counted only while analytics are on, and it never fails. */
  countUsage: (event: UsageEvent) => call("count_usage", { event }),
  retention: () => call("retention"),
  setRetention: (rules: RetentionRules) => call("set_retention", { rules }),
  runRetention: () => call("run_retention"),
  erasurePreview: (clientId: Id) => call("erasure_preview", { clientId }),
  eraseClient: (clientId: Id) => call("erase_client", { clientId }),
  setRestricted: (clientId: Id, restricted: boolean) =>
    call("set_client_restricted", { clientId, restricted }),
  auditLog: () => call("audit_log"),
  verifyAuditLog: () => call("verify_audit_log"),
  /** Destroys the workspace; `confirm` must be its name. */
  wipe: (confirm: string) => call("wipe", { confirm }),
  /** Asks every connected marketplace to erase my data first; fails with
   * `erasure_request_failed` (nothing wiped) when one does not accept. */
  wipeAskingMarketplaces: (confirm: string) => call("wipe_asking_marketplaces", { confirm }),
  /** Asks each connected marketplace (or one) to erase my data there. */
  requestMarketplaceErasure: (accountId: Id | null = null) =>
    call("request_marketplace_erasure", { accountId }),
};

/** Marketplace sync: accounts, saved searches, the outbox, conflicts, what was sent. */
export const sync = {
  /** One pass over every connected marketplace; progress and cancel like other long work. */
  now: (onProgress: (progress: Progress) => void) =>
    call("sync_now", { onProgress: progressChannel(onProgress) }),
  status: () => call("sync_status"),
  /** Puts failed changes back in the queue; returns how many came back. */
  retryFailed: () => call("retry_failed"),
  outbox: () => call("sync_outbox"),
  conflicts: () => call("sync_conflicts"),
  resolve: (id: Id, resolution: Resolution) => call("resolve_conflict", { id, resolution }),
  /** What left the machine, newest first. */
  transparencyLog: (limit = 200) => call("transparency_log", { limit }),
  accounts: () => call("market_accounts"),
  /** The kinds of marketplace that can be connected, with what each can do. */
  kinds: () => call("market_kinds"),
  /** Connecting is the user's consent to share bids with the marketplace. */
  addAccount: (account: NewMarketAccount, token: string) => call("add_market_account", { account, token }),
  /** Opens the marketplace's sign-in page in the browser; `finishSignIn` then waits for it. */
  beginSignIn: (target: { account: NewMarketAccount } | { again: Id }, clientSecret: string | null) =>
    call("begin_market_sign_in", { ...target, clientSecret }),
  finishSignIn: (signInId: Id) => call("finish_market_sign_in", { signInId }),
  cancelSignIn: (signInId: Id) => call("cancel_market_sign_in", { signInId }),
  setToken: (id: Id, token: string) => call("set_market_token", { id, token }),
  /** What disconnecting would drop (changes never sent) and keep, to confirm first. */
  removalPreview: (id: Id) => call("market_account_removal_preview", { id }),
  /** Disconnects: token and queued changes go; pulled records stay as the user's own. */
  removeAccount: (id: Id) => call("remove_market_account", { id }),
  /** "Try with sample data": the demo marketplace, run inside Bidwell on this computer. */
  connectDemo: (kind: MarketAccount["kind"] = "bidwell") => call("connect_demo_market", { kind }),
  /** The demo account's id while it is connected. */
  demoAccount: () => call("demo_market_account"),
  addSavedSearch: (accountId: Id, name: string, query: string | null, skills: string[]) =>
    call("add_saved_search", { accountId, name, query, skills }),
  savedSearches: () => call("saved_searches"),
  submitBid: (id: Id) => call("submit_bid", { id }),
  /** A bid placed on the marketplace's own website (where its API takes none). */
  markPlaced: (id: Id) => call("mark_bid_placed", { id }),
  /** Opens the job's page on its marketplace's website in the system browser. */
  openJobPage: (jobId: Id) => call("open_job_page", { id: jobId }),
  withdrawBid: (id: Id) => call("withdraw_bid", { id }),
};

/**
 * Export and import: the platform's file dialogs, then the work with progress and cancel.
 * The page never sees or sends a path: a dialog's answer is an opaque handle (and a name to show).
 */
export const portability = {
  /** The save dialog; null when the user cancels it. The handle is good for one export of that kind. */
  chooseSavePath: (suggestedName: string, kind: FileKind) =>
    call("choose_save_path", { suggestedName, kind }),
  /** The open dialog for a file to import; null when cancelled. */
  chooseImportFile: () => call("choose_import_file"),
  exportArchive: (file: ChosenFile, options: ExportOptions, password: string | null, onProgress: (p: Progress) => void) =>
    call("export_archive", {
      file: file.handle,
      options,
      password,
      onProgress: progressChannel(onProgress),
    }),
  exportVcard: (file: ChosenFile, client: Id | null) =>
    call("export_vcard", { file: file.handle, client }),
  /** Open tasks and unpaid milestones as an iCalendar (.ics) file; the handle must be for a calendar. */
  exportIcs: (file: ChosenFile) => call("export_ics", { file: file.handle }),
  /** How strong an export password is for a container (the rule the export enforces). */
  passwordStrength: (password: string, container: ArchiveContainer) =>
    call("export_password_strength", { password, container }),
  importFile: (file: ChosenFile, options: ImportOptions, password: string | null, onProgress: (p: Progress) => void) =>
    call("import_file", { file: file.handle, options, password, onProgress: progressChannel(onProgress) }),
};

/** Settings → Backups and the overdue banner. No path ever goes from here to the shell. */
export const backups = {
  /** The folder, the overdue rule, the last good backup and the snapshots (newest first). */
  status: () => call("backup_status"),
  now: () => call("backup_now"),
  verify: (snapshot: string) => call("verify_backup", { snapshot }),
  /** 1 to 365; anything else is a `validation` error naming `days`. */
  setOverdueDays: (days: number) => call("set_backup_overdue_days", { days }),
  /** The platform's folder dialog, in the shell; the folder now in use, or null when cancelled. */
  chooseFolder: () => call("choose_backup_folder"),
  /** Backs up the current state, then replaces the workspace with the snapshot; progress and cancel. */
  restore: (snapshot: string, onProgress: (p: Progress) => void) =>
    call("restore_backup", { snapshot, onProgress: progressChannel(onProgress) }),
};
