// App-wide state as signals: the session (which screen), the route inside
// the unlocked app, notices with an optional undo, and marketplace sync
// (its status and the run under way, shared by the status bar and Settings).
import { signal } from "@preact/signals";
import * as api from "./api";
import { arrive } from "./places";
import type { BackupStatus } from "./bindings/BackupStatus";
import type { Id } from "./bindings/Id";
import type { SessionState } from "./bindings/SessionState";
import type { UsageEvent } from "./bindings/UsageEvent";

export type Route =
  | { screen: "dashboard" }
  | { screen: "clients" }
  | { screen: "client"; id: Id }
  | { screen: "record"; kind: PageKind; id: Id }
  | { screen: "projects" }
  | { screen: "jobs" }
  | { screen: "bids" }
  | { screen: "tasks" }
  | { screen: "settings"; tab?: SettingsTab };

/** The kinds with a page of their own besides clients (screens/RecordPage.tsx). */
export type PageKind = "contact" | "project" | "job" | "bid";

export type SettingsTab = "general" | "fields" | "currency" | "privacy" | "backups" | "marketplaces";

export const route = signal<Route>({ screen: "clients" });

/** A client's or another record's page, as opposed to a screen of the sidebar. */
function isPage(to: Route): boolean {
  return to.screen === "client" || to.screen === "record";
}

/**
 * The routes the pages on show were opened from, the latest last. Opening a
 * page adds the route it was opened from, going back (`goBack`) takes it
 * off, any sidebar screen starts afresh: Esc from a bid opened on the task
 * list goes back to the tasks, not to the board.
 */
export const trail = signal<Route[]>([]);
/** Deeper than anyone goes back by hand; only the latest are kept. */
const LONGEST_TRAIL = 50;

export function go(to: Route): void {
  arrive(false);
  const from = route.value;
  if (!isPage(to)) trail.value = [];
  else if (JSON.stringify(from) !== JSON.stringify(to)) trail.value = [...trail.value, from].slice(-LONGEST_TRAIL);
  route.value = to;
}

/** Where `goBack` goes from the page on show: where it was opened from, or `home` (where the record lives). */
export function backTo(home: Route): Route {
  return trail.value[trail.value.length - 1] ?? home;
}

/** Back from the page on show to where it was opened from (`backTo`). */
export function goBack(home: Route): void {
  const to = backTo(home);
  // Only going back opens a list where it was left (places.ts).
  arrive(true);
  trail.value = trail.value.slice(0, -1);
  route.value = to;
}

/** The usage event of opening `to`: built from the route, so a screen the
 * core's catalogue lacks is a type error here. Which client is never part of it. */
export function screenEvent(to: Route): UsageEvent {
  if (to.screen === "settings") return `screen.settings.${to.tab ?? "general"}`;
  return to.screen === "record" ? `screen.${to.kind}` : `screen.${to.screen}`;
}

export const sessionState = signal<SessionState | null>(null);
export const sessionError = signal<api.ApiError | null>(null);

export async function refreshSession(): Promise<void> {
  try {
    sessionState.value = await api.session.state();
    sessionError.value = null;
  } catch (err) {
    sessionError.value = api.asApiError(err);
  }
}

/** A new recovery key is on screen (Settings), waiting for "I saved it": the banner asking for one steps aside. */
export const recoveryKeyOnScreen = signal(false);
/** Set by the banner's button: Settings brings its recovery key form into view and focus, then clears it. */
export const focusRecoveryKeyForm = signal(false);

export interface Notice {
  id: number;
  text: string;
  tone: "info" | "error";
  undo?: () => Promise<void>;
}

export const notices = signal<Notice[]>([]);
let nextNotice = 1;
/** More than this at once would cover the screen; the oldest plain notices go first. */
const MAX_NOTICES = 3;

/** Shows a notice for a few seconds; with `undo`, offers to take the action back. */
export function notify(text: string, options: { tone?: Notice["tone"]; undo?: () => Promise<void> } = {}): void {
  const notice: Notice = { id: nextNotice++, text, tone: options.tone ?? "info" };
  if (options.undo) notice.undo = options.undo;
  let shown = [...notices.value, notice];
  while (shown.length > MAX_NOTICES) {
    // An offer to undo stays longer than news.
    const oldest = shown.findIndex((n) => !n.undo);
    shown = shown.filter((_, i) => i !== (oldest === -1 ? 0 : oldest));
  }
  notices.value = shown;
  setTimeout(() => dismiss(notice.id), options.undo ? 8000 : 4000);
}

export function dismiss(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

/** The core's sync status; null until read (or while no workspace is open). */
export const syncStatus = signal<api.SyncStatus | null>(null);
/** The run under way: its latest progress, or "starting" before the first. */
export const syncRun = signal<api.Progress | "starting" | null>(null);

export async function refreshSync(): Promise<void> {
  try {
    syncStatus.value = await api.sync.status();
  } catch {
    // Locked: the status bar simply hides until the next refresh.
    syncStatus.value = null;
  }
}

/** Runs one sync pass with progress; refusals become a notice. */
export async function syncNow(): Promise<void> {
  if (syncRun.value) return;
  syncRun.value = "starting";
  try {
    const report = await api.sync.now((p) => (syncRun.value = p));
    if (report.cancelled) notify("Sync cancelled; what was done is kept.");
    // The core runs one pass at a time: this press waited for the background one.
    else if (report.joined) notify("A sync was already running; its results are in.");
    // A marketplace that answered badly (too much, a stuck feed) stops only its own
    // account; each line names it, and its row in Settings → Marketplaces keeps the reason.
    if (report.stopped.length > 0) notify(report.stopped.join("; "), { tone: "error" });
    // Postings a marketplace's terms let Bidwell keep only so long, removed untouched.
    if (report.expired.length > 0) notify(`Removed: ${report.expired.join("; ")}.`);
  } catch (raw) {
    notify(api.describe(api.asApiError(raw)), { tone: "error" });
  } finally {
    syncRun.value = null;
    await refreshSync();
  }
}

/** The backups as the core sees them (Settings → Backups, the overdue banner); null until read or while locked. */
export const backupStatus = signal<BackupStatus | null>(null);

export async function refreshBackups(): Promise<void> {
  try {
    backupStatus.value = await api.backups.status();
  } catch {
    // Locked: the banner hides until the next refresh.
    backupStatus.value = null;
  }
}

/** Bumped when the workspace's data was replaced (a restore): every screen on show is drawn afresh and reads it again. */
export const dataGeneration = signal(0);
