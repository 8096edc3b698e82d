// Settings → Backups: the encrypted snapshots (when, how large, what they
// hold, why they were taken), "Back up now", checking one, restoring one
// (confirmed first, with progress and Cancel), the folder in use (chosen in
// the platform's folder dialog, which the shell opens) and after how many
// days without a backup the window says one is overdue.
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { BackupInfo } from "../bindings/BackupInfo";
import type { BackupReason } from "../bindings/BackupReason";
import type { BackupVerification } from "../bindings/BackupVerification";
import type { EntityKind } from "../bindings/EntityKind";
import type { RestoreReport } from "../bindings/RestoreReport";
import { Field } from "../components/Field";
import { ProgressPanel } from "../components/ProgressPanel";
import { backupStatus, dataGeneration, notify, refreshBackups, refreshSync } from "../state";
import { formatBytes } from "./Privacy";
import { dateTimeText } from "../dates";

const REASON: Record<BackupReason, string> = {
  scheduled: "Daily backup",
  manual: "Backed up by hand",
  before_import: "Before an import",
  before_key_rotation: "Before a new encryption key",
  before_migration: "Before an update of the data format",
  before_restore: "Before a restore",
};

/** The kinds a row counts, in the order it names them. */
const COUNTED: { kind: EntityKind; one: string; many: string }[] = [
  { kind: "client", one: "client", many: "clients" },
  { kind: "project", one: "project", many: "projects" },
  { kind: "job", one: "job", many: "jobs" },
  { kind: "bid", one: "bid", many: "bids" },
  { kind: "task", one: "task", many: "tasks" },
];

export function counts(info: BackupInfo): string {
  return COUNTED.map(({ kind, one, many }) => {
    const n = info.manifest.counts[kind] ?? 0;
    return `${n.toLocaleString()} ${n === 1 ? one : many}`;
  }).join(", ");
}


type BackupRun = { state: "idle" } | { state: "running" } | { state: "done"; info: BackupInfo };
type RestoreRun =
  | { state: "idle" }
  | { state: "confirming"; info: BackupInfo }
  | { state: "running"; info: BackupInfo; progress: api.Progress | null }
  | { state: "done"; report: RestoreReport; last: api.Progress | null }
  | { state: "failed"; info: BackupInfo; error: api.ApiError };

/** Outlive a visit elsewhere, and the redraw of every screen after a restore. */
const backupRun = signal<BackupRun>({ state: "idle" });
const restoreRun = signal<RestoreRun>({ state: "idle" });

/** "Back up now", here and in the overdue banner. */
export async function backUpNow(): Promise<void> {
  if (backupRun.value.state === "running") return;
  backupRun.value = { state: "running" };
  try {
    const info = await api.backups.now();
    backupRun.value = { state: "done", info };
    notify(`Backed up: ${counts(info)}.`);
  } catch (raw) {
    backupRun.value = { state: "idle" };
    notify(`The backup failed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
  } finally {
    await refreshBackups();
  }
}

export const backingUp = () => backupRun.value.state === "running";

async function restore(info: BackupInfo) {
  restoreRun.value = { state: "running", info, progress: null };
  try {
    const report = await api.backups.restore(info.name, (progress) => {
      if (restoreRun.value.state === "running") restoreRun.value = { state: "running", info, progress };
    });
    const last = restoreRun.value.state === "running" ? restoreRun.value.progress : null;
    restoreRun.value = { state: "done", report, last };
    // Every screen reads the restored data again.
    dataGeneration.value += 1;
    void refreshSync();
  } catch (raw) {
    restoreRun.value = { state: "failed", info, error: api.asApiError(raw) };
  } finally {
    await refreshBackups();
  }
}

export function Backups() {
  const status = backupStatus.value;
  useEffect(() => {
    void refreshBackups();
  }, []);
  if (!status) return <p aria-busy="true">Loading…</p>;
  const run = backupRun.value;
  return (
    <div class="backups">
      <section aria-labelledby="backups-list">
        <h2 id="backups-list">Backups</h2>
        <p>
          Each backup is an encrypted copy of the whole workspace. Bidwell takes one a day while the workspace is
          unlocked, and before imports, key changes and restores. Erasing a client erases it from the backups too.
        </p>
        <p class="backup-summary" data-testid="backup-summary">
          {status.last_good ? `Last good backup: ${dateTimeText(status.last_good)}.` : "No backup has been taken yet."}{" "}
          {status.overdue && <strong>A backup is overdue.</strong>}
        </p>
        {status.folder_error && (
          <p class="form-error" role="alert">
            The backup folder cannot be read: {api.describe(status.folder_error)}. Choose another folder below.
          </p>
        )}
        {status.last_error && (
          <p class="form-error" role="alert">
            The last backup failed: {api.describe(status.last_error)}
          </p>
        )}
        <p>
          <button class="primary" disabled={run.state === "running"} onClick={() => void backUpNow()}>
            {run.state === "running" ? "Backing up…" : "Back up now"}
          </button>
        </p>
        <RestoreState />
        {status.backups.length === 0 ? (
          <p>There are no backups in this folder.</p>
        ) : (
          <BackupTable backups={status.backups} busy={restoreRun.value.state === "running"} />
        )}
      </section>
      <section aria-labelledby="backups-settings">
        <h2 id="backups-settings">Where and how often</h2>
        <dl class="facts" aria-label="Backup settings">
          <dt>Folder</dt>
          <dd>
            <code data-testid="backup-folder">{status.folder}</code> <ChooseFolder />
          </dd>
        </dl>
        <OverdueDays days={Number(status.overdue_days)} />
      </section>
    </div>
  );
}

function BackupTable({ backups, busy }: { backups: BackupInfo[]; busy: boolean }) {
  const [checks, setChecks] = useState<Record<string, BackupVerification | "checking" | api.ApiError>>({});
  async function verify(name: string) {
    setChecks((c) => ({ ...c, [name]: "checking" }));
    try {
      const result = await api.backups.verify(name);
      setChecks((c) => ({ ...c, [name]: result }));
    } catch (raw) {
      setChecks((c) => ({ ...c, [name]: api.asApiError(raw) }));
    }
  }
  return (
    <table class="pipeline-table backup-table" aria-label="Backups, newest first">
      <thead>
        <tr>
          <th scope="col">Taken</th>
          <th scope="col">Why</th>
          <th scope="col" class="num">
            Size
          </th>
          <th scope="col">Holds</th>
          <th scope="col">State</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {backups.map((b) => {
          const check = checks[b.name];
          return (
            <tr key={b.name} data-testid="backup-row" data-name={b.name}>
              <th scope="row">{dateTimeText(b.manifest.taken_at)}</th>
              <td>{REASON[b.manifest.reason]}</td>
              <td class="num">{formatBytes(Number(b.bytes))}</td>
              <td data-testid="backup-counts">{counts(b)}</td>
              <td data-testid="backup-state">
                {!b.complete
                  ? "Incomplete"
                  : check === undefined
                    ? "Complete"
                    : check === "checking"
                      ? "Checking…"
                      : "healthy" in check
                        ? check.healthy
                          ? "Checked: healthy"
                          : `Damaged: ${check.findings.join("; ")}`
                        : `Could not check: ${api.describe(check)}`}
              </td>
              <td class="actions">
                <button
                  disabled={check === "checking"}
                  onClick={() => void verify(b.name)}
                  aria-label={`Verify the backup of ${dateTimeText(b.manifest.taken_at)}`}
                >
                  Verify
                </button>{" "}
                <button
                  disabled={busy || !b.complete}
                  onClick={() => (restoreRun.value = { state: "confirming", info: b })}
                  aria-label={`Restore the backup of ${dateTimeText(b.manifest.taken_at)}`}
                >
                  Restore…
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The confirmation, the progress, then the result or the error of a restore. */
function RestoreState() {
  const run = restoreRun.value;
  if (run.state === "idle") return null;
  if (run.state === "confirming") {
    const taken = dateTimeText(run.info.manifest.taken_at);
    return (
      <div class="erase-panel restore-panel" role="dialog" aria-labelledby="restore-title" data-testid="restore-confirm">
        <h3 id="restore-title">Restore the backup of {taken}?</h3>
        <ul>
          <li>The workspace goes back to how it was then: {counts(run.info)}. Changes made since are replaced.</li>
          <li>The current state is backed up first, so this restore can itself be undone from the list.</li>
          <li>
            The restored workspace unlocks with the passphrase (or keychain) it had at {taken}; your recovery key keeps
            working.
          </li>
          <li>Clients erased since then are erased again from the restored data.</li>
        </ul>
        <p>
          <button class="danger" onClick={() => void restore(run.info)}>
            Restore this backup
          </button>{" "}
          <button onClick={() => (restoreRun.value = { state: "idle" })}>Keep the current data</button>
        </p>
      </div>
    );
  }
  if (run.state === "running") {
    const phase = run.progress ? run.progress.phase : "starting";
    return <ProgressPanel progress={run.progress} label={`Restoring: ${phase}`} />;
  }
  if (run.state === "done") {
    const r = run.report;
    return (
      <div class="restore-result" role="status" data-testid="restore-result">
        <p>
          <strong>Restored the backup of {dateTimeText(r.restored.manifest.taken_at)}</strong>: {counts(r.restored)}.
          {r.replaced_state_backup && " The state it replaced is kept as the backup “Before a restore”."}
          {r.erasures_replayed > 0 && ` ${r.erasures_replayed} erased clients were erased again.`}
        </p>
        {run.last && (
          <p class="field-hint" data-testid="restore-steps">
            {run.last.done} of {run.last.total} steps done.
          </p>
        )}
        <button onClick={() => (restoreRun.value = { state: "idle" })}>Done</button>
      </div>
    );
  }
  const stopped =
    run.error.code === "cancelled"
      ? "The restore was cancelled; nothing was changed."
      : run.error.code === "locked"
        ? "The restore stopped because the workspace locked; nothing was changed."
        : `The restore failed, and the current data is unchanged: ${api.describe(run.error)}`;
  return (
    <div class="restore-result" role="alert" data-testid="restore-result">
      <p>{stopped}</p>
      <button onClick={() => (restoreRun.value = { state: "idle" })}>Close</button>
    </div>
  );
}

function ChooseFolder() {
  const [busy, setBusy] = useState(false);
  async function choose() {
    setBusy(true);
    try {
      const folder = await api.backups.chooseFolder();
      if (folder !== null) notify(`New backups go to ${folder}.`);
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    } finally {
      setBusy(false);
      await refreshBackups();
    }
  }
  return (
    <button disabled={busy} onClick={() => void choose()}>
      Choose folder…
    </button>
  );
}

function OverdueDays({ days }: { days: number }) {
  const [value, setValue] = useState(String(days));
  const [error, setError] = useState<string | null>(null);
  async function save(e: Event) {
    e.preventDefault();
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 365) {
      setError("Enter a whole number of days from 1 to 365.");
      return;
    }
    try {
      await api.backups.setOverdueDays(n);
      setError(null);
      notify("Saved.");
      await refreshBackups();
    } catch (raw) {
      const err = api.asApiError(raw);
      setError(err.message);
    }
  }
  return (
    <form class="inline-form" onSubmit={(e) => void save(e)} noValidate>
      <Field
        label="Say a backup is overdue after this many days without one"
        name="backup-overdue-days"
        type="number"
        value={value}
        onInput={(v) => {
          setValue(v);
          setError(null);
        }}
        error={error}
        hint="From 1 to 365 days."
      />
      <button type="submit">Save</button>
    </form>
  );
}
