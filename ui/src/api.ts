// Typed calls into the Rust core. Every type comes from ./bindings (generated
// from Rust); errors arrive as ApiError and callers switch on `code`.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { AnalyticsStatus } from "./bindings/AnalyticsStatus";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { AuditVerification } from "./bindings/AuditVerification";
import type { BackupInfo } from "./bindings/BackupInfo";
import type { BackupStatus } from "./bindings/BackupStatus";
import type { BackupVerification } from "./bindings/BackupVerification";
import type { RestoreReport } from "./bindings/RestoreReport";
import type { ConsentChange } from "./bindings/ConsentChange";
import type { ConsentRecord } from "./bindings/ConsentRecord";
import type { ConsentState } from "./bindings/ConsentState";
import type { ErasurePlan } from "./bindings/ErasurePlan";
import type { PrivacyOverview } from "./bindings/PrivacyOverview";
import type { RetentionRules } from "./bindings/RetentionRules";
import type { RetentionStatus } from "./bindings/RetentionStatus";
import type { RetentionSummary } from "./bindings/RetentionSummary";
import type { WipeReport } from "./bindings/WipeReport";
import type { ErasureRequestOutcome } from "./bindings/ErasureRequestOutcome";
import type { ExportOptions } from "./bindings/ExportOptions";
import type { ExportSummary } from "./bindings/ExportSummary";
import type { ArchiveContainer } from "./bindings/ArchiveContainer";
import type { PasswordStrength } from "./bindings/PasswordStrength";
import type { FileKind } from "./bindings/FileKind";
import type { ChosenFile } from "./bindings/ChosenFile";
import type { ImportOptions } from "./bindings/ImportOptions";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { VcardExportSummary } from "./bindings/VcardExportSummary";
import type { ActivityFilter } from "./bindings/ActivityFilter";
import type { ActivityPatch } from "./bindings/ActivityPatch";
import type { Activity } from "./bindings/Activity";
import type { ApiError } from "./bindings/ApiError";
import type { BidFilter } from "./bindings/BidFilter";
import type { BidPatch } from "./bindings/BidPatch";
import type { BidStatus } from "./bindings/BidStatus";
import type { Bid } from "./bindings/Bid";
import type { ClientFilter } from "./bindings/ClientFilter";
import type { ClientPatch } from "./bindings/ClientPatch";
import type { Client } from "./bindings/Client";
import type { ContactFilter } from "./bindings/ContactFilter";
import type { ContactPatch } from "./bindings/ContactPatch";
import type { Contact } from "./bindings/Contact";
import type { DoctorReport } from "./bindings/DoctorReport";
import type { IntegrityOutcome } from "./bindings/IntegrityOutcome";
import type { EntityKind } from "./bindings/EntityKind";
import type { Id } from "./bindings/Id";
import type { JobFilter } from "./bindings/JobFilter";
import type { JobPatch } from "./bindings/JobPatch";
import type { Job } from "./bindings/Job";
import type { MilestoneFilter } from "./bindings/MilestoneFilter";
import type { MilestonePatch } from "./bindings/MilestonePatch";
import type { MilestoneStatus } from "./bindings/MilestoneStatus";
import type { Milestone } from "./bindings/Milestone";
import type { NewActivity } from "./bindings/NewActivity";
import type { NewBid } from "./bindings/NewBid";
import type { NewClient } from "./bindings/NewClient";
import type { NewContact } from "./bindings/NewContact";
import type { NewJob } from "./bindings/NewJob";
import type { NewMilestone } from "./bindings/NewMilestone";
import type { NewProject } from "./bindings/NewProject";
import type { NewTask } from "./bindings/NewTask";
import type { Page } from "./bindings/Page";
import type { PageRequest } from "./bindings/PageRequest";
import type { Preferences } from "./bindings/Preferences";
import type { Progress } from "./bindings/Progress";
import type { ProjectFilter } from "./bindings/ProjectFilter";
import type { ProjectPatch } from "./bindings/ProjectPatch";
import type { Project } from "./bindings/Project";
import type { SearchHit } from "./bindings/SearchHit";
import type { SeedSummary } from "./bindings/SeedSummary";
import type { SessionState } from "./bindings/SessionState";
import type { TaskFilter } from "./bindings/TaskFilter";
import type { TaskPatch } from "./bindings/TaskPatch";
import type { Task } from "./bindings/Task";
import type { BidTerms } from "./bindings/BidTerms";
import type { MarketAccount } from "./bindings/MarketAccount";
import type { MarketKindInfo } from "./bindings/MarketKindInfo";
import type { NewMarketAccount } from "./bindings/NewMarketAccount";
import type { SignInStarted } from "./bindings/SignInStarted";
import type { Capabilities } from "./bindings/Capabilities";
import type { AccountRemoval } from "./bindings/AccountRemoval";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { Resolution } from "./bindings/Resolution";
import type { SavedSearch } from "./bindings/SavedSearch";
import type { SyncConflict } from "./bindings/SyncConflict";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TransparencyEntry } from "./bindings/TransparencyEntry";

export type { ApiError, ErasureRequestOutcome, Progress };
export type { Capabilities, MarketKindInfo, NewMarketAccount, SignInStarted };
export type { AccountRemoval, BidTerms, MarketAccount, SavedSearch, SyncConflict, SyncStatus, TransparencyEntry };

/** Anything thrown by a call is an ApiError; this narrows what `catch` gets. */
export function asApiError(raw: unknown): ApiError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) return raw as ApiError;
  return { code: "internal", message: String(raw), transient: false };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw asApiError(raw);
  }
}

export const session = {
  state: () => call<SessionState>("session_state"),
  /** No passphrase: the key goes to the OS keychain. Returns the recovery key. */
  create: (name: string, passphrase: string | null) => call<string>("create_workspace", { name, passphrase }),
  unlock: (passphrase: string | null) => call<void>("unlock", { passphrase }),
  unlockWithRecoveryKey: (recoveryKey: string) => call<void>("unlock_with_recovery_key", { recoveryKey }),
  lock: () => call<void>("lock"),
  /** Asks for the current passphrase again before changing it. */
  changePassphrase: (currentPassphrase: string, newPassphrase: string) =>
    call<void>("change_passphrase", { currentPassphrase, newPassphrase }),
  /** Re-encrypts under a new key; returns the new recovery key (the old one stops working). */
  rotateKey: (currentPassphrase: string | null) => call<string>("rotate_key", { currentPassphrase }),
  /** The user saved the recovery key they were shown ("I saved it"); the window stops asking for a new one. */
  confirmRecoveryKeySaved: () => call<void>("confirm_recovery_key_saved"),
  doctor: () => call<DoctorReport>("doctor"),
  /** Reads and decrypts the whole database: healthy, damaged (what it found) or stopped. */
  checkIntegrity: () => call<IntegrityOutcome>("check_integrity"),
  /** Ends a running checkIntegrity with "stopped"; nothing when none runs. */
  stopIntegrityCheck: () => call<void>("stop_integrity_check"),
  preferences: () => call<Preferences>("preferences"),
  setPreferences: (preferences: Preferences) => call<Preferences>("set_preferences", { preferences }),
};

/** The page a list asks for; `after` is the previous page's `next`. */
export function page(limit: number, after: string | null = null, sort: PageRequest["sort"] = "newest"): PageRequest {
  const request: PageRequest = { limit, sort, include_deleted: false };
  if (after !== null) request.after = after;
  return request;
}

function records<T, New, Filter, Patch>(kind: string, plural: string) {
  return {
    create: (item: New) => call<T>(`create_${kind}`, { new: item }),
    get: (id: Id) => call<T>(`get_${kind}`, { id }),
    list: (filter: Filter, request: PageRequest) => call<Page<T>>(`list_${plural}`, { filter, page: request }),
    update: (id: Id, patch: Patch) => call<T>(`update_${kind}`, { id, patch }),
  };
}

export const clients = records<Client, NewClient, ClientFilter, ClientPatch>("client", "clients");
export const contacts = records<Contact, NewContact, ContactFilter, ContactPatch>("contact", "contacts");
export const projects = records<Project, NewProject, ProjectFilter, ProjectPatch>("project", "projects");
export const jobs = records<Job, NewJob, JobFilter, JobPatch>("job", "jobs");
export const bids = {
  ...records<Bid, NewBid, BidFilter, BidPatch>("bid", "bids"),
  setStatus: (id: Id, status: BidStatus) => call<Bid>("set_bid_status", { id, status }),
};
export const milestones = {
  ...records<Milestone, NewMilestone, MilestoneFilter, MilestonePatch>("milestone", "milestones"),
  setStatus: (id: Id, status: MilestoneStatus) => call<Milestone>("set_milestone_status", { id, status }),
};
export const activities = records<Activity, NewActivity, ActivityFilter, ActivityPatch>("activity", "activities");
export const tasks = records<Task, NewTask, TaskFilter, TaskPatch>("task", "tasks");

export const remove = (kind: EntityKind, id: Id) => call<void>("delete_record", { kind, id });
export const restore = (kind: EntityKind, id: Id) => call<void>("restore_record", { kind, id });
export const search = (query: string, limit = 20) => call<SearchHit[]>("search", { query, limit });

/** A channel whose reports go to `onProgress`; long commands take one. */
function progressChannel(onProgress: (progress: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

/** Long work: each reports progress (with a ticket) and can be cancelled. */
export const work = {
  seedSampleData: (onProgress: (progress: Progress) => void) =>
    call<SeedSummary>("seed_sample_data", { onProgress: progressChannel(onProgress) }),
  /** Stops the work at its next safe point; what it finished stays. */
  cancel: (ticket: number) => call<boolean>("cancel_work", { ticket }),
};

/** Settings → Privacy and the privacy part of a client's page. */
export const privacy = {
  overview: () => call<PrivacyOverview>("privacy_overview"),
  /** The user's own consents without a client id, else that client's. */
  consents: (clientId: Id | null = null) => call<ConsentState[]>("consents", { clientId }),
  history: (clientId: Id | null = null) => call<ConsentRecord[]>("consent_history", { clientId }),
  recordConsent: (change: ConsentChange) => call<ConsentRecord>("record_consent", { change }),
  /** Opting out empties the queue and clears the window's stored data. */
  setAnalytics: (enabled: boolean) => call<AnalyticsStatus>("set_analytics", { enabled }),
  retention: () => call<RetentionStatus>("retention"),
  setRetention: (rules: RetentionRules) => call<RetentionStatus>("set_retention", { rules }),
  runRetention: () => call<RetentionSummary>("run_retention"),
  erasurePreview: (clientId: Id) => call<ErasurePlan>("erasure_preview", { clientId }),
  eraseClient: (clientId: Id) => call<ErasurePlan>("erase_client", { clientId }),
  setRestricted: (clientId: Id, restricted: boolean) =>
    call<Client>("set_client_restricted", { clientId, restricted }),
  auditLog: () => call<AuditEntry[]>("audit_log"),
  verifyAuditLog: () => call<AuditVerification>("verify_audit_log"),
  /** Destroys the workspace; `confirm` must be its name. */
  wipe: (confirm: string) => call<WipeReport>("wipe", { confirm }),
  /** Asks every connected marketplace to erase my data first; fails with
   * `erasure_request_failed` (nothing wiped) when one does not accept. */
  wipeAskingMarketplaces: (confirm: string) => call<WipeReport>("wipe_asking_marketplaces", { confirm }),
  /** Asks each connected marketplace (or one) to erase my data there. */
  requestMarketplaceErasure: (accountId: Id | null = null) =>
    call<ErasureRequestOutcome[]>("request_marketplace_erasure", { accountId }),
};

/** Marketplace sync: accounts, saved searches, the outbox, conflicts, what was sent. */
export const sync = {
  /** One pass over every connected marketplace; progress and cancel like other long work. */
  now: (onProgress: (progress: Progress) => void) =>
    call<SyncReport>("sync_now", { onProgress: progressChannel(onProgress) }),
  status: () => call<SyncStatus>("sync_status"),
  /** Puts failed changes back in the queue; returns how many came back. */
  retryFailed: () => call<number>("retry_failed"),
  outbox: () => call<OutboxEntry[]>("sync_outbox"),
  conflicts: () => call<SyncConflict[]>("sync_conflicts"),
  resolve: (id: Id, resolution: Resolution) => call<void>("resolve_conflict", { id, resolution }),
  /** What left the machine, newest first. */
  transparencyLog: (limit = 200) => call<TransparencyEntry[]>("transparency_log", { limit }),
  accounts: () => call<MarketAccount[]>("market_accounts"),
  /** The kinds of marketplace that can be connected, with what each can do. */
  kinds: () => call<MarketKindInfo[]>("market_kinds"),
  /** Connecting is the user's consent to share bids with the marketplace. */
  addAccount: (account: NewMarketAccount, token: string) => call<MarketAccount>("add_market_account", { account, token }),
  /** Opens the marketplace's sign-in page in the browser; `finishSignIn` then waits for it. */
  beginSignIn: (target: { account: NewMarketAccount } | { again: Id }, clientSecret: string | null) =>
    call<SignInStarted>("begin_market_sign_in", { ...target, clientSecret }),
  finishSignIn: (signInId: Id) => call<MarketAccount>("finish_market_sign_in", { signInId }),
  cancelSignIn: (signInId: Id) => call<void>("cancel_market_sign_in", { signInId }),
  setToken: (id: Id, token: string) => call<void>("set_market_token", { id, token }),
  /** What disconnecting would drop (changes never sent) and keep, to confirm first. */
  removalPreview: (id: Id) => call<AccountRemoval>("market_account_removal_preview", { id }),
  /** Disconnects: token and queued changes go; pulled records stay as the user's own. */
  removeAccount: (id: Id) => call<AccountRemoval>("remove_market_account", { id }),
  /** "Try with sample data": the demo marketplace, run inside Bidwell on this computer. */
  connectDemo: (kind: MarketAccount["kind"] = "bidwell") => call<MarketAccount>("connect_demo_market", { kind }),
  /** The demo account's id while it is connected. */
  demoAccount: () => call<Id | null>("demo_market_account"),
  addSavedSearch: (accountId: Id, name: string, query: string | null, skills: string[]) =>
    call<SavedSearch>("add_saved_search", { accountId, name, query, skills }),
  savedSearches: () => call<SavedSearch[]>("saved_searches"),
  submitBid: (id: Id) => call<Bid>("submit_bid", { id }),
  /** A bid placed on the marketplace's own website (where its API takes none). */
  markPlaced: (id: Id) => call<Bid>("mark_bid_placed", { id }),
  /** Opens the job's page on its marketplace's website in the system browser. */
  openJobPage: (jobId: Id) => call<void>("open_job_page", { id: jobId }),
  withdrawBid: (id: Id) => call<Bid>("withdraw_bid", { id }),
};

/**
 * Export and import: the platform's file dialogs, then the work with progress and cancel.
 * The page never sees or sends a path: a dialog's answer is an opaque handle (and a name to show).
 */
export const portability = {
  /** The save dialog; null when the user cancels it. The handle is good for one export of that kind. */
  chooseSavePath: (suggestedName: string, kind: FileKind) =>
    call<ChosenFile | null>("choose_save_path", { suggestedName, kind }),
  /** The open dialog for a file to import; null when cancelled. */
  chooseImportFile: () => call<ChosenFile | null>("choose_import_file"),
  exportArchive: (file: ChosenFile, options: ExportOptions, password: string | null, onProgress: (p: Progress) => void) =>
    call<ExportSummary>("export_archive", {
      file: file.handle,
      options,
      password,
      onProgress: progressChannel(onProgress),
    }),
  exportVcard: (file: ChosenFile, client: Id | null) =>
    call<VcardExportSummary>("export_vcard", { file: file.handle, client }),
  /** How strong an export password is for a container (the rule the export enforces). */
  passwordStrength: (password: string, container: ArchiveContainer) =>
    call<PasswordStrength>("export_password_strength", { password, container }),
  importFile: (file: ChosenFile, options: ImportOptions, password: string | null, onProgress: (p: Progress) => void) =>
    call<ImportSummary>("import_file", { file: file.handle, options, password, onProgress: progressChannel(onProgress) }),
};

/** Settings → Backups and the overdue banner. No path ever goes from here to the shell. */
export const backups = {
  /** The folder, the overdue rule, the last good backup and the snapshots (newest first). */
  status: () => call<BackupStatus>("backup_status"),
  now: () => call<BackupInfo>("backup_now"),
  verify: (snapshot: string) => call<BackupVerification>("verify_backup", { snapshot }),
  /** 1 to 365; anything else is a `validation` error naming `days`. */
  setOverdueDays: (days: number) => call<void>("set_backup_overdue_days", { days }),
  /** The platform's folder dialog, in the shell; the folder now in use, or null when cancelled. */
  chooseFolder: () => call<string | null>("choose_backup_folder"),
  /** Backs up the current state, then replaces the workspace with the snapshot; progress and cancel. */
  restore: (snapshot: string, onProgress: (p: Progress) => void) =>
    call<RestoreReport>("restore_backup", { snapshot, onProgress: progressChannel(onProgress) }),
};
