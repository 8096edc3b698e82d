// The frame: picks first run, unlock or the app from the session state, and
// inside the app shows the navigation, the current screen, the sync status
// bar, notices, the overlays (command palette, shortcuts) and, while the
// recovery key was never confirmed as saved, a banner asking for a new one.
import { useEffect } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import * as api from "./api";
import type { RecoveryKeyOrigin } from "./bindings/RecoveryKeyOrigin";
import type { UnconfirmedRecoveryKey } from "./bindings/UnconfirmedRecoveryKey";
import { FirstRun } from "./screens/FirstRun";
import { FinishWipe } from "./screens/FinishWipe";
import { Unlock } from "./screens/Unlock";
import { Screen } from "./screens";
import { Sidebar } from "./components/Sidebar";
import {
  dismiss,
  focusRecoveryKeyForm,
  go,
  notices,
  notify,
  recoveryKeyOnScreen,
  refreshSession,
  refreshBackups,
  refreshSync,
  route,
  screenEvent,
  sessionError,
  sessionState,
  backupStatus,
  dataGeneration,
} from "./state";
import { backingUp, backUpNow } from "./screens/Backups";
import { SyncBar } from "./components/SyncBar";
import { actedFromNotification, dueReminders, Reminders, showReminders } from "./components/Reminders";
import type { Task } from "./bindings/Task";
import { Overlays } from "./screens/Overlays";
import { applyTheme } from "./theme";
import { forgetPlaces } from "./places";
import { dateTimeText } from "./dates";

export function App() {
  useEffect(() => {
    void refreshSession();
    const stop = listen("session-locked", () => {
      notify("Locked after a while without use.");
      void refreshSession();
    });
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  const state = sessionState.value;
  // Locked (or no workspace): the lists' kept filters and places go with it.
  // After the locked screens unmounted theirs, so none is kept past this.
  const unlocked = state?.unlocked ?? false;
  useEffect(() => {
    if (!unlocked) forgetPlaces();
  }, [unlocked]);
  if (sessionError.value) {
    return (
      <main class="centered">
        <h1>Bidwell</h1>
        <p class="form-error" role="alert">
          The workspace could not be read ({sessionError.value.code}): {api.describe(sessionError.value)}
        </p>
      </main>
    );
  }
  if (!state) return <main class="centered" aria-busy="true" />;
  if (state.workspace.state === "missing") return <FirstRun />;
  if (state.workspace.state === "wipe_interrupted") return <FinishWipe name={state.workspace.name} />;
  if (!state.unlocked) return <Unlock state={state} />;
  return <Workspace />;
}

function Workspace() {
  useEffect(() => {
    void api.session.preferences().then((p) => applyTheme(p.theme));
    void refreshSync();
    void refreshBackups();
    // The shell's background sync and daily backup say when they ran.
    const stopSync = listen("sync-changed", () => void refreshSync());
    const stopBackup = listen("backup-changed", () => void refreshBackups());
    // The shell's reminder timer: the OS notification points here (components/Reminders.tsx).
    const stopReminders = listen<Task[]>("tasks-due", (event) => showReminders(event.payload));
    const stopActed = listen<[string, string[]]>("tasks-acted", (event) => actedFromNotification(...event.payload));
    return () => {
      void stopSync.then((unlisten) => unlisten());
      void stopBackup.then((unlisten) => unlisten());
      void stopReminders.then((unlisten) => unlisten());
      void stopActed.then((unlisten) => unlisten());
      // Locked: a task's title is not left on screen for the next unlock.
      dueReminders.value = [];
    };
  }, []);
  // Each screen opened is counted (only while analytics are on: the core
  // decides). However the user got there: a click, a shortcut, the palette.
  // Counting never stands in the way, so its answer is not awaited.
  const opened = screenEvent(route.value);
  useEffect(() => {
    api.privacy.countUsage(opened).catch(() => undefined);
  }, [opened]);
  const unconfirmed = sessionState.value?.unconfirmed_recovery_key ?? null;
  async function lockNow() {
    await api.session.lock();
    await refreshSession();
  }
  return (
    <div class="frame">
      <Sidebar onLock={() => void lockNow()} />
      <div class="banners">
        {unconfirmed && !recoveryKeyOnScreen.value && <RecoveryKeyBanner unconfirmed={unconfirmed} />}
        {backupDue() && <BackupOverdueBanner />}
      </div>
      <section class="content">
        {/* A restore replaced the data: the screen on show is drawn afresh and reads it again. */}
        <Screen key={dataGeneration.value} route={route.value} />
      </section>
      <SyncBar />
      <Overlays />
      <Reminders />
      <div class="notices" aria-live="polite">
        {notices.value.map((n) => (
          <div class={`notice ${n.tone}`} key={n.id} role={n.tone === "error" ? "alert" : "status"}>
            <span>{n.text}</span>
            {n.undo && (
              <button
                onClick={() => {
                  dismiss(n.id);
                  void n.undo?.();
                }}
              >
                Undo
              </button>
            )}
            <button aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}

/** What the banner adds to its heading, by where the unconfirmed key came from. */
const RECOVERY_KEY_REQUEST: Record<RecoveryKeyOrigin, string> = {
  created: "If the passphrase or keychain entry is ever lost, the recovery key is the only way back into your data.",
  rotated:
    "It was made when the encryption key last changed, and the previous recovery key no longer opens this workspace.",
  interrupted_rotation:
    "A change of the encryption key was interrupted and was finished when you unlocked: its new recovery key was " +
    "never shown, and the previous recovery key no longer opens this workspace.",
};

/** Stays until a new recovery key is made and confirmed: there is no way to dismiss it without acting. */
function RecoveryKeyBanner({ unconfirmed }: { unconfirmed: UnconfirmedRecoveryKey }) {
  return (
    <section
      class="recovery-banner"
      data-testid="recovery-key-unconfirmed"
      data-origin={unconfirmed.origin}
      aria-labelledby="recovery-banner-title"
    >
      <div>
        <h2 id="recovery-banner-title">Your recovery key was never confirmed as saved</h2>
        <p>{RECOVERY_KEY_REQUEST[unconfirmed.origin]} Make a new one now and keep it away from this computer.</p>
      </div>
      <button
        class="primary"
        onClick={() => {
          focusRecoveryKeyForm.value = true;
          go({ screen: "settings", tab: "general" });
        }}
      >
        Set up a new recovery key
      </button>
    </section>
  );
}

/**
 * Overdue, and the app has had its chance: a workspace that never had a
 * backup gets its first from the daily timer soon after unlock, so it is
 * not nagged about before that, only when that backup failed (or the folder
 * cannot be read).
 */
function backupDue(): boolean {
  const status = backupStatus.value;
  if (!status?.overdue) return false;
  return status.last_good !== null || status.last_error !== null || status.folder_error !== null;
}

/** While no good backup is younger than the overdue setting; a backup makes it go. */
function BackupOverdueBanner() {
  const status = backupStatus.value;
  if (!status) return null;
  const last = status.last_good ? dateTimeText(status.last_good) : null;
  return (
    <section class="recovery-banner backup-banner" data-testid="backup-overdue" aria-labelledby="backup-banner-title">
      <div>
        <h2 id="backup-banner-title">A backup is overdue</h2>
        <p>
          {last ? `The last good backup was taken ${last}.` : "There is no backup of this workspace yet."}
          {status.last_error && ` The last try failed: ${api.describe(status.last_error)}`}
        </p>
      </div>
      <button class="primary" disabled={backingUp()} onClick={() => void backUpNow()}>
        {backingUp() ? "Backing up…" : "Back up now"}
      </button>
      <button onClick={() => go({ screen: "settings", tab: "backups" })}>Backups…</button>
    </section>
  );
}
