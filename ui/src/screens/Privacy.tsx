// Settings → Privacy: where the data is and how it is kept, the user's own
// consents, usage analytics (off unless chosen), retention rules, the audit
// log with its check, what the backups hold and where, and wiping everything. A client's own controls
// (restriction, consents, erasure) are on the client's page.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditVerification } from "../bindings/AuditVerification";
import type { ConsentPurpose } from "../bindings/ConsentPurpose";
import type { EntityKind } from "../bindings/EntityKind";
import type { Id } from "../bindings/Id";
import type { PrivacyOverview } from "../bindings/PrivacyOverview";
import type { RetentionSummary } from "../bindings/RetentionSummary";
import type { UsagePreview } from "../bindings/UsagePreview";
import { Field } from "../components/Field";
import { ExportPanel, ImportPanel } from "../components/Portability";
import { go, notify, refreshSession } from "../state";
import { dateTimeText } from "../dates";

const KIND_LABEL: Record<EntityKind, string> = {
  client: "Clients",
  contact: "Contacts",
  project: "Projects",
  job: "Jobs",
  bid: "Bids",
  milestone: "Milestones",
  activity: "Notes and activities",
  task: "Tasks",
};

/** The user's own purposes, in the order the page shows them. Analytics has its own switch. */
const USER_PURPOSES: { purpose: ConsentPurpose; label: string; hint: string }[] = [
  {
    purpose: "crash_reports",
    label: "Send crash reports",
    hint: "Bidwell keeps crash reports on this computer unless you allow this.",
  },
  {
    purpose: "marketplace_sharing",
    label: "Share my bids and profile with connected marketplaces",
    hint: "Off: nothing is sent to a marketplace, and sync stops.",
  },
  {
    purpose: "marketplace_marketing",
    label: "Marketing messages from marketplaces",
    hint: "Sent to each connected marketplace with the next sync, once per change.",
  },
];

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function when(at: string | null): string {
  return at ? dateTimeText(at) : "never";
}

export function Privacy() {
  const [overview, setOverview] = useState<PrivacyOverview | null>(null);
  const [preview, setPreview] = useState<UsagePreview | null>(null);
  const [error, setError] = useState<string | null>(null);

  // The overview and the usage queue are read together and the page drawn
  // once: a queue drawn later pushed the sections below it down while a user
  // (or a test) was clicking one of their buttons. A queue that cannot be
  // read leaves the rest of the page as it is.
  const readQueue = () => api.privacy.usagePreview().catch(() => null);
  async function load() {
    try {
      const [read, queue] = await Promise.all([api.privacy.overview(), readQueue()]);
      setOverview(read);
      setPreview(queue);
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }
  // The queue again when the window comes back to the front: counts made
  // meanwhile show (the overview is not read again for that).
  useEffect(() => {
    void load();
    const again = () => void readQueue().then(setPreview);
    window.addEventListener("focus", again);
    return () => window.removeEventListener("focus", again);
  }, []);

  if (error) {
    return (
      <p class="form-error" role="alert">
        The privacy overview could not be loaded: {error} <button onClick={() => void load()}>Try again</button>
      </p>
    );
  }
  if (!overview) return <p aria-busy="true">Loading…</p>;
  return (
    <div class="privacy">
      <AtAGlance overview={overview} />
      <section aria-labelledby="privacy-export">
        <h2 id="privacy-export">Export and import</h2>
        <p class="muted">
          An export is one ZIP: a JSON and a spreadsheet-safe CSV file per kind of record, a manifest with checksums
          and a README. It imports back into an empty workspace. Clients also come in from CSV (Upwork, Freelancer,
          Google, Outlook) and vCard files.
        </p>
        <ExportPanel />
        <ImportPanel onImported={() => void load()} />
      </section>
      <UserConsents overview={overview} onChange={load} />
      <Analytics overview={overview} preview={preview} onChange={load} />
      <Retention overview={overview} onChange={load} />
      <SentToMarketplaces />
      <MarketplaceErasure />
      <AuditLog />
      <Wipe name={overview.workspace_name} />
    </div>
  );
}

function AtAGlance({ overview }: { overview: PrivacyOverview }) {
  const kinds = Object.keys(KIND_LABEL) as EntityKind[];
  const { encryption } = overview;
  return (
    <section aria-labelledby="privacy-glance">
      <h2 id="privacy-glance">Your data at a glance</h2>
      <dl class="facts" aria-label="Where your data is and how it is kept">
        <dt>Kept in</dt>
        <dd>
          <code>{overview.paths.dir}</code>
          <ul class="plain">
            {overview.files.map((f) => (
              <li key={f.path}>
                <code>{f.path.split(/[\\/]/).pop()}</code> — {formatBytes(f.bytes)}
              </li>
            ))}
          </ul>
        </dd>
        <dt>Encryption</dt>
        <dd>
          {encryption.cipher}, SQLCipher {encryption.sqlcipher_version}; the data key is wrapped with{" "}
          {encryption.key_wrapping} and unlocked by{" "}
          {encryption.key_storage === "keychain"
            ? `the system keychain (${encryption.keychain_backend})`
            : "your passphrase"}
          .
        </dd>
        <dt>Backups</dt>
        <dd data-testid="privacy-backups">
          {overview.backups.snapshots === 0
            ? "None yet. "
            : `${overview.backups.snapshots} encrypted ${overview.backups.snapshots === 1 ? "copy" : "copies"} ` +
              `of the whole workspace (${formatBytes(Number(overview.backups.bytes))}), ` +
              `the latest ${when(overview.backups.latest)}, `}
          in <code>{overview.backups.folder}</code>. Each holds everything the workspace held when it was taken; erasing
          a client erases it from them too, and wiping destroys them.{" "}
          <button class="link" onClick={() => go({ screen: "settings", tab: "backups" })}>
            Manage backups
          </button>
        </dd>
        <dt>Last export</dt>
        <dd>{when(overview.last_export_at)}</dd>
        <dt>Restricted clients</dt>
        <dd>{overview.restricted_clients}</dd>
        <dt>Kept anonymized</dt>
        <dd>{overview.kept_anonymized} payment records of erased clients (kept for tax and accounts)</dd>
        <dt>Audit log</dt>
        <dd>
          {overview.audit_entries} {overview.audit_entries === 1 ? "entry" : "entries"}
        </dd>
      </dl>
      <table class="pipeline-table" aria-label="Records by kind">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" class="num">
              Kept
            </th>
            <th scope="col" class="num">
              Deleted, not yet purged
            </th>
          </tr>
        </thead>
        <tbody>
          {kinds.map((kind) => (
            <tr key={kind}>
              <th scope="row">{KIND_LABEL[kind]}</th>
              <td class="num">{(overview.counts[kind] ?? 0).toLocaleString()}</td>
              <td class="num">{(overview.deleted[kind] ?? 0).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function UserConsents({ overview, onChange }: { overview: PrivacyOverview; onChange: () => Promise<void> }) {
  const [busy, setBusy] = useState<ConsentPurpose | null>(null);
  const granted = (purpose: ConsentPurpose) => overview.consents.find((c) => c.purpose === purpose)?.granted ?? false;

  async function toggle(purpose: ConsentPurpose, on: boolean) {
    setBusy(purpose);
    try {
      await api.privacy.recordConsent({ purpose, granted: on, method: "ui" });
      notify(on ? "Consent recorded." : "Consent withdrawn; it applies at once.");
      await onChange();
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="privacy-consents">
      <h2 id="privacy-consents">Your consents</h2>
      <p class="muted">Each change is kept in a ledger with its time; nothing is given until you turn it on.</p>
      {USER_PURPOSES.map(({ purpose, label, hint }) => (
        <label class="check" key={purpose}>
          <input
            type="checkbox"
            checked={granted(purpose)}
            disabled={busy !== null}
            onChange={(e) => void toggle(purpose, e.currentTarget.checked)}
          />
          <span>
            {label}
            <br />
            <small class="muted">{hint}</small>
          </span>
        </label>
      ))}
      <ConsentHistory />
    </section>
  );
}

export function ConsentHistory({ clientId = null }: { clientId?: Id | null }) {
  const [open, setOpen] = useState(false);
  const [rows, setRows] = useState<Awaited<ReturnType<typeof api.privacy.history>> | null>(null);
  useEffect(() => {
    if (open) void api.privacy.history(clientId).then(setRows);
  }, [open, clientId]);
  return (
    <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Consent history</summary>
      {rows && rows.length === 0 && <p class="muted">Nothing recorded yet.</p>}
      {rows && rows.length > 0 && (
        <table class="pipeline-table" aria-label="Consent history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Purpose</th>
              <th scope="col">Choice</th>
              <th scope="col">How</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{when(r.recorded_at)}</td>
                <td>{r.purpose.replace(/_/g, " ")}</td>
                <td>
                  {r.granted ? "given" : "withdrawn"}
                  {r.basis ? ` (${r.basis.replace(/_/g, " ")})` : ""}
                </td>
                <td>{r.method}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/** The opt-in and, below it, the queue exactly as it would leave; `onChange` reads both again. */
export function Analytics({
  overview,
  preview,
  onChange,
}: {
  overview: PrivacyOverview;
  preview: UsagePreview | null;
  onChange: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const { analytics } = overview;
  async function set(enabled: boolean) {
    setBusy(true);
    try {
      await api.privacy.setAnalytics(enabled);
      notify(
        enabled
          ? "Anonymous usage counts will be kept and sent to connected marketplaces."
          : "Usage analytics are off: the queue is deleted and the window's stored data cleared.",
      );
      await onChange();
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="privacy-analytics">
      <h2 id="privacy-analytics">Usage analytics and cookies</h2>
      <label class="check">
        <input
          type="checkbox"
          checked={analytics.enabled}
          disabled={busy}
          onChange={(e) => void set(e.currentTarget.checked)}
        />
        <span>
          Share anonymous usage counts
          <br />
          <small class="muted">
            Off by default. When on, only counts per day of the screens you open and the features you use are kept
            (no ids, no names, no text), listed below exactly as they would leave, and sent with the next sync to a
            connected marketplace. While off, nothing is sent and every request to a marketplace carries the Global
            Privacy Control signal (Sec-GPC: 1). Bidwell's connection to marketplaces keeps no cookies.
          </small>
        </span>
      </label>
      {preview && <UsageQueue preview={preview} />}
    </section>
  );
}

/** Exactly what would be sent, before it is sent: the queue, the body the next sync sends, and where. */
function UsageQueue({ preview }: { preview: UsagePreview }) {
  return (
    <div class="usage-queue">
      {!preview.enabled ? (
        <p class="muted">Usage analytics are off: nothing is counted and nothing is sent.</p>
      ) : preview.rows.length === 0 ? (
        <p class="muted">Nothing counted yet. Counts appear here before anything is sent.</p>
      ) : (
        <>
          <table class="pipeline-table" aria-label="Usage counts waiting to be sent">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">What it means</th>
                <th scope="col">Day (UTC)</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((r) => (
                <tr key={`${r.event} ${r.day}`}>
                  <td>
                    <code>{r.event}</code>
                  </td>
                  <td>{r.description}</td>
                  <td>{r.day}</td>
                  <td>{r.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            The next sync sends one total per event, without the day:{" "}
            {preview.totals.map((t, i) => (
              <span key={t.event}>
                {i > 0 && ", "}
                <code>{t.event}</code> {t.count}
              </span>
            ))}
            .
          </p>
          {preview.destinations.length === 0 ? (
            <p class="muted">No connected marketplace takes analytics: the counts stay here until one does.</p>
          ) : (
            <p>
              Sent to the first of these that accepts them:{" "}
              {preview.destinations.map((d, i) => (
                <span key={`${d.account_name} ${d.base_url}`}>
                  {i > 0 && "; "}
                  {d.account_name} (<code>{d.endpoint}</code> at {d.base_url})
                </span>
              ))}
              .
            </p>
          )}
        </>
      )}
      <details>
        <summary>Everything Bidwell can count</summary>
        <ul>
          {preview.catalogue.map((e) => (
            <li key={e.event}>
              <code>{e.event}</code>: {e.description}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

function Retention({ overview, onChange }: { overview: PrivacyOverview; onChange: () => Promise<void> }) {
  const rules = overview.retention.rules;
  const [months, setMonths] = useState(rules.archived_client_months?.toString() ?? "");
  const [days, setDays] = useState(rules.deleted_after_days.toString());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [last, setLast] = useState<RetentionSummary | null>(null);

  async function save(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    const m = months.trim() === "" ? undefined : Number(months);
    const d = Number(days);
    if (m !== undefined && (!Number.isInteger(m) || m < 1)) found["retention-months"] = "Use a whole number of months, or leave it empty to keep them.";
    if (!Number.isInteger(d) || d < 1 || d > 3650) found["retention-days"] = "Use a whole number of days from 1 to 3650.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    try {
      await api.privacy.setRetention(m === undefined ? { deleted_after_days: d } : { archived_client_months: m, deleted_after_days: d });
      notify("Retention rules saved. They run by themselves once a day.");
      await onChange();
    } catch (raw) {
      const err = api.asApiError(raw);
      setErrors({ form: api.describe(err) });
    }
  }

  async function runNow() {
    try {
      const summary = await api.privacy.runRetention();
      setLast(summary);
      await onChange();
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
  }

  return (
    <section aria-labelledby="privacy-retention">
      <h2 id="privacy-retention">Retention</h2>
      <form onSubmit={save} aria-label="Retention rules">
        <Field
          label="Erase archived clients after this many months"
          name="retention-months"
          type="number"
          value={months}
          onInput={setMonths}
          error={errors["retention-months"]}
          hint="Empty: keep archived clients. Paid milestones are kept anonymized for tax."
        />
        <Field
          label="Purge deleted items after this many days"
          name="retention-days"
          type="number"
          value={days}
          onInput={setDays}
          error={errors["retention-days"]}
        />
        {errors["form"] && (
          <p class="form-error" role="alert">
            {errors["form"]}
          </p>
        )}
        <div class="form-actions">
          <button class="primary" type="submit">
            Save rules
          </button>
          <button type="button" onClick={() => void runNow()}>
            Run now
          </button>
          <span class="muted">Last run: {when(overview.retention.last_run_at)}</span>
        </div>
      </form>
      {last && (
        <p role="status">
          Retention ran: {last.archived_clients_erased} archived clients erased, {last.purged.total} records purged
          {last.blocked > 0 ? `, ${last.blocked} left until their bids or payments settle` : ""}.
        </p>
      )}
    </section>
  );
}

/** Every request that left for a marketplace: when, where, what kinds of data, how many records. */
function SentToMarketplaces() {
  const [entries, setEntries] = useState<api.TransparencyEntry[] | null>(null);
  const [accounts, setAccounts] = useState<api.MarketAccount[]>([]);
  async function show() {
    try {
      const [log, all] = await Promise.all([api.sync.transparencyLog(), api.sync.accounts()]);
      setAccounts(all);
      setEntries(log);
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
  }
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  const categories = (json: string) => {
    try {
      return (JSON.parse(json) as string[]).map((c) => c.replace(/_/g, " ")).join(", ");
    } catch {
      return json;
    }
  };
  return (
    <section aria-labelledby="privacy-sent">
      <h2 id="privacy-sent">Sent to marketplaces</h2>
      <p class="muted">Every request Bidwell made to a marketplace, newest first: the kinds of data sent, never the content.</p>
      <div class="form-actions">
        <button onClick={() => void show()}>Show what was sent</button>
      </div>
      {entries && entries.length === 0 && <p role="status">Nothing has been sent to a marketplace.</p>}
      {entries && entries.length > 0 && (
        <table class="pipeline-table" aria-label="Sent to marketplaces">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Marketplace</th>
              <th scope="col">Request</th>
              <th scope="col">Data</th>
              <th scope="col">Records</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{when(e.at)}</td>
                <td>{accountName(e.account_id)}</td>
                <td>
                  {e.operation} <code>{e.endpoint}</code>
                </td>
                <td>{categories(e.data_categories)}</td>
                <td>{e.record_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AuditLog() {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [check, setCheck] = useState<AuditVerification | null>(null);
  async function verify() {
    try {
      setCheck(await api.privacy.verifyAuditLog());
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
  }
  return (
    <section aria-labelledby="privacy-audit">
      <h2 id="privacy-audit">Audit log</h2>
      <p class="muted">
        Every privacy action (export, import, erasure, consent and key changes) is recorded here, without personal
        data. Each entry is chained to the one before, so an edit shows.
      </p>
      <div class="form-actions">
        <button onClick={() => void verify()}>Verify the chain</button>
        <button onClick={() => void api.privacy.auditLog().then(setEntries)}>Show entries</button>
      </div>
      {check && (
        <p role="status" data-testid="audit-check">
          {check.first_broken === null
            ? `All ${check.entries} entries chain correctly.`
            : `The chain is broken at entry ${check.first_broken}: the log was changed outside Bidwell.`}
        </p>
      )}
      {entries && (
        <table class="pipeline-table" aria-label="Audit entries">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {[...entries].reverse().map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{when(e.at)}</td>
                <td>{e.action.replace(/_/g, " ")}</td>
                <td>
                  <code>{e.detail}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function MarketplaceErasure() {
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<api.ErasureRequestOutcome[] | null>(null);
  async function ask() {
    setBusy(true);
    try {
      setOutcomes(await api.privacy.requestMarketplaceErasure());
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="privacy-market-erasure">
      <h2 id="privacy-market-erasure">Your data on marketplaces</h2>
      <p class="muted">
        Ask each connected marketplace to erase what it holds about you (your account there and everything in it).
        Only the request is sent; your data here stays until you erase it.
      </p>
      <div class="form-actions">
        <button onClick={() => void ask()} disabled={busy}>
          Ask marketplaces to erase my data
        </button>
      </div>
      {outcomes && outcomes.length === 0 && <p role="status">No marketplace is connected.</p>}
      {outcomes && outcomes.length > 0 && (
        <ul class="plain" role="status" aria-label="Erasure requests">
          {outcomes.map((o) => (
            <li key={o.account_id}>
              {o.account_name}:{" "}
              {o.accepted ? `accepted (reference ${o.receipt_id ?? "none"})` : `not accepted: ${o.reason ?? "no answer"}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Wipe({ name }: { name: string }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [askFirst, setAskFirst] = useState(true);
  const [error, setError] = useState<string | null>(null);
  /** The marketplaces did not all accept: the user may wipe anyway. */
  const [refused, setRefused] = useState(false);
  async function run(ask: boolean) {
    try {
      if (ask) {
        await api.privacy.wipeAskingMarketplaces(typed);
      } else {
        await api.privacy.wipe(typed);
      }
      await refreshSession();
    } catch (raw) {
      const err = api.asApiError(raw);
      setRefused(err.code === "erasure_request_failed");
      setError(api.describe(err));
    }
  }
  async function wipe(e: Event) {
    e.preventDefault();
    await run(askFirst);
  }
  return (
    <section aria-labelledby="privacy-wipe" class="danger-zone">
      <h2 id="privacy-wipe">Wipe everything</h2>
      <p>
        Destroys the encryption key first (and its keychain entry), then every file of this workspace. Nothing can be
        recovered afterwards, not even with the recovery key. Export first if you want a copy.
      </p>
      {!open ? (
        <button class="danger" onClick={() => setOpen(true)}>
          Wipe this workspace…
        </button>
      ) : (
        <form onSubmit={wipe} aria-label="Confirm wiping the workspace">
          <Field
            label={`Type the workspace name (${name}) to confirm`}
            name="wipe-confirm"
            value={typed}
            onInput={setTyped}
            error={error}
          />
          <label class="check">
            <input type="checkbox" checked={askFirst} onChange={(e) => setAskFirst(e.currentTarget.checked)} />
            <span>
              First ask each connected marketplace to erase my data
              <br />
              <small class="muted">If one does not accept, nothing is wiped and you can choose to wipe anyway.</small>
            </span>
          </label>
          <div class="form-actions">
            <button class="danger" type="submit" disabled={typed !== name}>
              Wipe everything now
            </button>
            {refused && (
              <button class="danger" type="button" disabled={typed !== name} onClick={() => void run(false)}>
                Wipe anyway, without asking
              </button>
            )}
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
