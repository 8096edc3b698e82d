// Settings: a General tab (appearance; security: lock, idle lock, passphrase,
// a new recovery key, encryption status), Custom fields (CustomFields.tsx),
// Currency (the home currency and exchange rates, Currency.tsx),
// the Privacy tab (Privacy.tsx), the Backups tab (Backups.tsx) and the
// Marketplaces tab (Marketplaces.tsx).
import { signal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { KeptTotalsReport } from "../bindings/KeptTotalsReport";
import type { DoctorReport } from "../bindings/DoctorReport";
import type { IntegrityOutcome } from "../bindings/IntegrityOutcome";
import type { Preferences } from "../bindings/Preferences";
import type { SearchIndexReport } from "../bindings/SearchIndexReport";
import type { Theme } from "../bindings/Theme";
import { Field } from "../components/Field";
import {
  focusRecoveryKeyForm,
  go,
  notify,
  recoveryKeyOnScreen,
  refreshSession,
  sessionState,
  type SettingsTab,
} from "../state";
import { applyTheme } from "../theme";
import { Backups } from "./Backups";
import { Currency } from "./Currency";
import { CustomFields } from "./CustomFields";
import { Marketplaces } from "./Marketplaces";
import { Privacy } from "./Privacy";

const TABS: { tab: SettingsTab; label: string }[] = [
  { tab: "general", label: "General" },
  { tab: "fields", label: "Custom fields" },
  { tab: "currency", label: "Currency" },
  { tab: "privacy", label: "Privacy" },
  { tab: "backups", label: "Backups" },
  { tab: "marketplaces", label: "Marketplaces" },
];

export function Settings({ tab = "general" }: { tab?: SettingsTab | undefined }) {
  return (
    <div class="settings">
      <div class="toolbar">
        <h1>Settings</h1>
        <div class="segmented" role="tablist" aria-label="Settings sections">
          {TABS.map((t) => (
            <button
              key={t.tab}
              role="tab"
              aria-selected={tab === t.tab}
              aria-pressed={tab === t.tab}
              onClick={() => go({ screen: "settings", tab: t.tab })}
            >
              {t.label}
            </button>
          ))}
        </div>
      </div>
      {tab === "privacy" ? (
        <Privacy />
      ) : tab === "backups" ? (
        <Backups />
      ) : tab === "marketplaces" ? (
        <Marketplaces />
      ) : tab === "fields" ? (
        <CustomFields />
      ) : tab === "currency" ? (
        <Currency />
      ) : (
        <General />
      )}
    </div>
  );
}

function General() {
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [report, setReport] = useState<DoctorReport | null>(null);
  useReadEffect(() => {
    void api.session.preferences().then(setPrefs);
    void api.session.doctor().then(setReport);
  }, []);

  async function save(next: Preferences) {
    try {
      setPrefs(await api.session.setPreferences(next));
      applyTheme(next.theme);
      notify("Saved.");
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
  }

  return (
    <>
      <section aria-labelledby="appearance">
        <h2 id="appearance">Appearance</h2>
        {prefs && (
          <label class="field">
            <span>Theme</span>
            <select
              aria-label="Theme"
              value={prefs.theme}
              onChange={(e) => void save({ ...prefs, theme: e.currentTarget.value as Theme })}
            >
              <option value="system">Follow the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        )}
      </section>
      <section aria-labelledby="security">
        <h2 id="security">Security</h2>
        <p>
          <button
            onClick={async () => {
              await api.session.lock();
              await refreshSession();
            }}
          >
            Lock now
          </button>
        </p>
        {prefs && (
          <label class="field">
            <span>Lock after this many minutes without use (0: never)</span>
            <input
              type="number"
              min={0}
              max={1440}
              aria-label="Idle lock minutes"
              value={prefs.idle_lock_minutes}
              onChange={(e) => void save({ ...prefs, idle_lock_minutes: Number(e.currentTarget.value) })}
            />
          </label>
        )}
        {report && <Encryption report={report} />}
        {report?.protection === "passphrase" ? <ChangePassphrase /> : null}
        {report && <NewRecoveryKey usesPassphrase={report.protection === "passphrase"} />}
      </section>
    </>
  );
}

function Encryption({ report }: { report: DoctorReport }) {
  return (
    <dl class="facts" aria-label="Encryption status">
      <dt>Encrypted</dt>
      <dd>{report.encrypted ? `Yes — SQLCipher ${report.cipher_version} (AES-256)` : "NO"}</dd>
      <dt>Key kept in</dt>
      <dd>{report.protection === "keychain" ? `the system keychain (${report.keychain_backend})` : "your passphrase"}</dd>
      <dt>Integrity</dt>
      <dd>
        <IntegrityCheck />
      </dd>
      <dt>Search index</dt>
      <dd>
        <SearchIndexCheck />
      </dd>
      <dt>Board and dashboard totals</dt>
      <dd>
        <KeptTotalsCheck />
      </dd>
      <dt>Data folder</dt>
      <dd>
        <code>{report.paths.dir}</code>
      </dd>
    </dl>
  );
}

type IntegrityState =
  | { state: "unchecked" }
  | { state: "checking"; startedAt: number; stopping: boolean }
  | { state: "ended"; outcome: IntegrityOutcome; seconds: number }
  | { state: "failed"; error: api.ApiError };

/** Outlives a visit to Settings, so a check still running is shown (and can be stopped) on the way back. */
const integrity = signal<IntegrityState>({ state: "unchecked" });

function secondsSince(startedAt: number): number {
  return Math.floor((Date.now() - startedAt) / 1000);
}

async function checkIntegrity() {
  const startedAt = Date.now();
  integrity.value = { state: "checking", startedAt, stopping: false };
  try {
    const outcome = await api.session.checkIntegrity();
    integrity.value = { state: "ended", outcome, seconds: secondsSince(startedAt) };
  } catch (raw) {
    integrity.value = { state: "failed", error: api.asApiError(raw) };
  }
}

async function stopIntegrityCheck() {
  const status = integrity.value;
  if (status.state !== "checking") return;
  integrity.value = { ...status, stopping: true };
  try {
    // The running check then ends with the outcome "stopped".
    await api.session.stopIntegrityCheck();
  } catch {
    if (integrity.value.state === "checking") integrity.value = { ...integrity.value, stopping: false };
  }
}

/** The check reads and decrypts every page, so it runs only when asked, never on opening Settings. */
function IntegrityCheck() {
  const status = integrity.value;
  // Before the first paint: each visit starts afresh (a result may belong to a
  // workspace locked since), except while a check runs.
  useLayoutEffect(() => {
    if (integrity.value.state !== "checking") integrity.value = { state: "unchecked" };
  }, []);
  return (
    <div class="integrity">
      <span role="status" aria-busy={status.state === "checking"}>
        {integrityText(status)}
      </span>{" "}
      {status.state === "checking" && <Elapsed since={status.startedAt} />}{" "}
      {/* The names start with the visible words, so "click Check now" works by voice too. */}
      <button
        onClick={() => void checkIntegrity()}
        disabled={status.state === "checking"}
        aria-label="Check now for damage in the database"
      >
        Check now
      </button>
      {status.state === "checking" && (
        <button onClick={() => void stopIntegrityCheck()} disabled={status.stopping} aria-label="Stop the integrity check">
          Stop
        </button>
      )}
    </div>
  );
}

type RepairState<R> =
  | { state: "unchecked" }
  | { state: "checking" }
  | { state: "ended"; report: R }
  | { state: "failed"; error: api.ApiError };

/**
 * A check of data the app keeps alongside the records (kept so that search
 * and the screens stay quick at a million records), mending whatever
 * disagrees with them. Only when asked.
 */
function RepairCheck<R>(props: {
  run: () => Promise<R>;
  label: string;
  checking: string;
  describe: (report: R) => string;
}) {
  const [status, setStatus] = useState<RepairState<R>>({ state: "unchecked" });
  async function check() {
    setStatus({ state: "checking" });
    try {
      setStatus({ state: "ended", report: await props.run() });
    } catch (raw) {
      setStatus({ state: "failed", error: api.asApiError(raw) });
    }
  }
  const text = (() => {
    switch (status.state) {
      case "unchecked":
        return "Not checked yet.";
      case "checking":
        return props.checking;
      case "failed":
        return `Could not check (${status.error.code}): ${api.describe(status.error)}`;
      case "ended":
        return props.describe(status.report);
    }
  })();
  return (
    <div class="integrity">
      <span role="status" aria-busy={status.state === "checking"}>
        {text}
      </span>{" "}
      <button onClick={() => void check()} disabled={status.state === "checking"} aria-label={props.label}>
        Check and repair
      </button>
    </div>
  );
}

/**
 * Search keeps its own index of the records' text; should it ever disagree
 * with them (a search that misses a record, or finds one that is gone), this
 * rebuilds what disagrees. Quick next to the integrity check: it reads the
 * index and the records' text, not every page.
 */
export function SearchIndexCheck() {
  return (
    <RepairCheck
      run={api.session.checkSearchIndex}
      label="Check and repair the search index"
      checking="Checking the search index against the records…"
      describe={describeSearchIndex}
    />
  );
}

function describeSearchIndex(r: SearchIndexReport): string {
  const records = `${r.documents} ${r.documents === 1 ? "entry" : "entries"}`;
  if (!r.repaired) return `In step with the records (${records}).`;
  const found = [
    r.missing > 0 && `${r.missing} missing`,
    r.stale > 0 && `${r.stale} out of date`,
    r.orphaned > 0 && `${r.orphaned} left over`,
    r.damaged && "its structure damaged",
  ].filter(Boolean);
  return `Repaired: ${found.join(", ")}. Now in step (${records}).`;
}

/**
 * The bids board's column counts, the dashboard's pipeline, win rate and
 * earnings, and the open tasks' counts (the dashboard's and the task
 * list's) read totals kept as records are written; should they ever
 * disagree with the records (a count that does not match its column), this
 * adds them up again.
 */
export function KeptTotalsCheck() {
  return (
    <RepairCheck
      run={api.session.checkKeptTotals}
      label="Check and repair the board and dashboard totals"
      checking="Adding up the bids, milestones and tasks…"
      describe={describeKeptTotals}
    />
  );
}

function describeKeptTotals(r: KeptTotalsReport): string {
  if (!r.repaired) return "In step with the records.";
  const totals = r.disagreeing === 1 ? "1 total disagreed" : `${r.disagreeing} totals disagreed`;
  return `Repaired: ${totals} with the records. Now in step.`;
}

/** Seconds since the check started, ticking. SQLite reports no fraction done, so none is shown. */
function Elapsed({ since }: { since: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  // A timer is not a live region: the seconds are there when asked for, not read out each second.
  return <span role="timer">{duration(secondsSince(since))} so far</span>;
}

function duration(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function outcomeText(outcome: IntegrityOutcome, seconds: number): string {
  switch (outcome.state) {
    case "healthy":
      return "Checked, no damage found.";
    case "damaged":
      return `Damage found: ${outcome.findings.join("; ")}`;
    case "stopped":
      return `Stopped after ${duration(seconds)}, before the whole database was read: nothing is known either way.`;
  }
}

function integrityText(status: IntegrityState): string {
  switch (status.state) {
    case "unchecked":
      return "Not checked yet.";
    case "checking":
      return status.stopping ? "Stopping…" : "Checking… this reads the whole database.";
    case "ended":
      return outcomeText(status.outcome, status.seconds);
    case "failed":
      switch (status.error.code) {
        case "database_corrupt":
          return "The database could not be read: it is damaged, or the key file does not belong to it.";
        case "database_busy":
          return "The database is busy; try again in a moment.";
        case "locked":
          return "The workspace is locked; unlock it to check.";
        default:
          return `Could not check (${status.error.code}): ${api.describe(status.error)}`;
      }
  }
}

function ChangePassphrase() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  async function submit(e: Event) {
    e.preventDefault();
    if ([...next].length < 8) return setErrors({ next: "Use at least 8 characters." });
    if (next !== repeat) return setErrors({ repeat: "The two passphrases differ." });
    try {
      await api.session.changePassphrase(current, next);
      setErrors({});
      setCurrent("");
      setNext("");
      setRepeat("");
      notify("Passphrase changed. Your recovery key still works.");
    } catch (raw) {
      const err = api.asApiError(raw);
      setErrors(err.code === "wrong_passphrase" ? { current: "That is not the current passphrase." } : { next: api.describe(err) });
    }
  }
  return (
    <form class="stack" onSubmit={submit} aria-label="Change passphrase">
      <h3>Change passphrase</h3>
      <Field label="Current passphrase" name="current" type="password" value={current} onInput={setCurrent} error={errors["current"]} autocomplete="current-password" />
      <Field label="New passphrase" name="next" type="password" value={next} onInput={setNext} error={errors["next"]} autocomplete="new-password" />
      <Field label="Repeat the new passphrase" name="repeat-next" type="password" value={repeat} onInput={setRepeat} error={errors["repeat"]} autocomplete="new-password" />
      <button type="submit">Change passphrase</button>
    </form>
  );
}

/** The recovery key is never stored, so it cannot be shown again; a new one can be made. */
function NewRecoveryKey({ usesPassphrase }: { usesPassphrase: boolean }) {
  const [current, setCurrent] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const locked = sessionState.value?.workspace;
  // The banner's "Make a new recovery key" leads here.
  const focusWanted = focusRecoveryKeyForm.value;
  useEffect(() => {
    if (!focusWanted || !form.current) return;
    form.current.scrollIntoView({ block: "center" });
    form.current.querySelector<HTMLElement>("input, button")?.focus();
    focusRecoveryKeyForm.value = false;
  }, [focusWanted, shown]);
  useEffect(() => {
    recoveryKeyOnScreen.value = shown !== null;
    return () => {
      recoveryKeyOnScreen.value = false;
    };
  }, [shown]);
  async function submit(e: Event) {
    e.preventDefault();
    if (!usesPassphrase && !confirm("Make a new recovery key? The old one will stop working.")) return;
    setBusy(true);
    try {
      setShown(await api.session.rotateKey(usesPassphrase ? current : null));
      setCurrent("");
      setError(null);
    } catch (raw) {
      const err = api.asApiError(raw);
      setError(err.code === "wrong_passphrase" ? "That is not the current passphrase." : api.describe(err));
    } finally {
      setBusy(false);
      // The core now reports the new key as not yet saved.
      await refreshSession();
    }
  }
  async function saved() {
    try {
      await api.session.confirmRecoveryKeySaved();
      // Refreshed before the key leaves the screen, so the banner does not flash back.
      await refreshSession();
      setShown(null);
      setError(null);
    } catch (raw) {
      setError(`Could not record that you saved it: ${api.describe(api.asApiError(raw))}`);
      await refreshSession();
    }
  }
  if (shown) {
    return (
      <div class="stack">
        <h3>Your new recovery key</h3>
        <p>Write it down now; it is shown only once. The old key no longer opens {locked?.state === "locked" ? locked.name : "this workspace"}.</p>
        <p class="recovery-key" data-testid="new-recovery-key">
          {shown}
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button onClick={() => void saved()}>I saved it</button>
      </div>
    );
  }
  return (
    <form class="stack" onSubmit={submit} aria-label="New recovery key" ref={form}>
      <h3>Recovery key</h3>
      <p class="muted">
        Bidwell never stores your recovery key, so it cannot show it again. If you lost it, make a new one: this also
        re-encrypts the database under a fresh key, and the old recovery key stops working.
      </p>
      {usesPassphrase && (
        <Field label="Current passphrase" name="reauth" type="password" value={current} onInput={setCurrent} error={error} autocomplete="current-password" />
      )}
      {!usesPassphrase && error && <p class="form-error">{error}</p>}
      <button type="submit" disabled={busy}>
        {busy ? "Re-encrypting…" : "Make a new recovery key"}
      </button>
    </form>
  );
}
