// A client's privacy: their consents (marketing; the basis for processing
// their data, with source and evidence) and erasure with a preview that says
// what goes, what is kept anonymized and why, or what blocks it.
import { useEffect, useState } from "preact/hooks";
import { useReadEffectUnlessGiven } from "../../readEffect";
import * as api from "../../api";
import type { ConsentState } from "../../bindings/ConsentState";
import type { ErasurePlan } from "../../bindings/ErasurePlan";
import type { EntityKind } from "../../bindings/EntityKind";
import type { Id } from "../../bindings/Id";
import type { ProcessingBasis } from "../../bindings/ProcessingBasis";
import { ConsentHistory } from "../../screens/Privacy";
import { go, notify } from "../../state";
import { Field } from "../Field";
import { ExportPanel } from "../Portability";
import { formatMoney } from "../../money";
import { dateText } from "../../dates";

const BASES: { value: ProcessingBasis; label: string }[] = [
  { value: "contract", label: "Contract (needed to do the work)" },
  { value: "consent", label: "Consent (they agreed)" },
  { value: "legitimate_interest", label: "Legitimate interest" },
];

const PLURAL: Record<EntityKind, string> = {
  client: "client record",
  contact: "contacts",
  project: "projects",
  job: "jobs",
  bid: "bids",
  milestone: "milestones",
  activity: "notes and activities",
  task: "tasks",
};

/** The client's consents; `given` when the page read them with the rest, else read here. */
export function ClientConsents({ clientId, given }: { clientId: Id; given?: ConsentState[] }) {
  const [states, setStates] = useState<ConsentState[] | null>(given ?? null);
  const [basis, setBasis] = useState<ProcessingBasis>("contract");
  const [source, setSource] = useState("");
  const [evidence, setEvidence] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<api.ApiError | null>(null);
  const load = () =>
    api.privacy.consents(clientId).then((loaded) => {
      setStates(loaded);
      setLoadError(null);
    });
  useReadEffectUnlessGiven(
    given !== undefined,
    () => void load().catch((raw) => setLoadError(api.asApiError(raw))),
    [clientId],
  );

  const state = (purpose: "marketing" | "processing") => states?.find((s) => s.purpose === purpose);
  const processing = state("processing");

  async function record(purpose: "marketing" | "processing", granted: boolean) {
    setError(null);
    try {
      await api.privacy.recordConsent({
        client_id: clientId,
        purpose,
        granted,
        method: "ui",
        ...(purpose === "processing" && granted ? { basis } : {}),
        ...(source.trim() ? { source: source.trim() } : {}),
        ...(evidence.trim() ? { evidence: evidence.trim() } : {}),
      });
      notify(granted ? "Recorded." : "Withdrawn; it applies at once.");
      setSource("");
      setEvidence("");
      await load();
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }

  return (
    <section aria-labelledby="client-consents">
      <h2 id="client-consents">Consents</h2>
      {loadError && (
        <p class="form-error" role="alert">
          Could not load the consents ({loadError.code}): {api.describe(loadError)}
        </p>
      )}
      {states && (
        <dl class="facts">
          <dt>Processing</dt>
          <dd>
            {processing?.granted && processing.latest
              ? `${BASES.find((b) => b.value === processing.latest?.basis)?.label ?? "recorded"} since ${dateText(processing.latest.recorded_at)}`
              : "No basis recorded"}
            {processing?.latest?.source ? ` — source: ${processing.latest.source}` : ""}
          </dd>
          <dt>Marketing</dt>
          <dd>{state("marketing")?.granted ? "Agreed" : "Not agreed"}</dd>
        </dl>
      )}
      <details>
        <summary>Record a consent or a withdrawal</summary>
        <label class="field">
          <span>Basis for processing their data</span>
          <select aria-label="Basis for processing" value={basis} onChange={(e) => setBasis(e.currentTarget.value as ProcessingBasis)}>
            {BASES.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <Field label="Source (where it came from)" name="consent-source" value={source} onInput={setSource} />
        <Field label="Evidence (where the proof is kept)" name="consent-evidence" value={evidence} onInput={setEvidence} />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="form-actions">
          <button onClick={() => void record("processing", true)}>Record basis</button>
          <button onClick={() => void record("processing", false)}>Withdraw processing</button>
          <button onClick={() => void record("marketing", !state("marketing")?.granted)}>
            {state("marketing")?.granted ? "Withdraw marketing" : "Record marketing consent"}
          </button>
        </div>
        <ConsentHistory clientId={clientId} />
      </details>
    </section>
  );
}

/** A data-subject request answered in one click: everything about this client. */
export function ClientExport({ clientId, name }: { clientId: Id; name: string }) {
  return (
    <section aria-labelledby="client-export">
      <h2 id="client-export">Their data</h2>
      <p class="muted">Everything Bidwell holds about {name}, in one archive, for a request to see or take their data.</p>
      <ExportPanel client={clientId} clientName={name} />
    </section>
  );
}

/** "Erase…": shows the plan first; the button erases for good. */
export function EraseClient({ clientId, name, onCancel }: { clientId: Id; name: string; onCancel: () => void }) {
  const [plan, setPlan] = useState<ErasurePlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.privacy
      .erasurePreview(clientId)
      .then(setPlan)
      .catch((raw) => setError(api.describe(api.asApiError(raw))));
  }, [clientId]);

  async function erase() {
    setBusy(true);
    try {
      const done = await api.privacy.eraseClient(clientId);
      const kept = done.kept.length > 0 ? ` ${done.kept.length} payment records kept anonymized.` : "";
      notify(`Client erased for good.${kept}`);
      go({ screen: "clients" });
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
      setBusy(false);
    }
  }

  const deleted = plan ? (Object.entries(plan.deleted) as [EntityKind, number][]) : [];
  return (
    <section class="erase-panel" role="dialog" aria-labelledby="erase-title" aria-modal="false">
      <h2 id="erase-title">Erase {name}?</h2>
      {!plan && !error && <p aria-busy="true">Working out what erasure touches…</p>}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {plan && plan.blockers.length > 0 && (
        <>
          <p>This client cannot be erased yet:</p>
          <ul data-testid="erase-blockers">
            {plan.blockers.map((b) => (
              <li key={b.id}>{b.reason}</li>
            ))}
          </ul>
        </>
      )}
      {plan && plan.blockers.length === 0 && (
        <>
          <p>Erasure deletes for good (no undo), from the database, its journal and the search index:</p>
          <ul>
            {deleted.map(([kind, n]) => (
              <li key={kind}>
                {n} {PLURAL[kind]}
              </li>
            ))}
            {plan.consents_deleted > 0 && <li>{plan.consents_deleted} consent records</li>}
          </ul>
          {plan.kept.length > 0 && (
            <>
              <p>Kept, without their name or any text:</p>
              <ul data-testid="erase-kept">
                {plan.kept.map((k) => (
                  <li key={k.id}>
                    {formatMoney(k.amount_minor, k.currency)} ({k.status}) — {k.explanation}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      <div class="form-actions">
        <button class="danger" disabled={!plan || plan.blockers.length > 0 || busy} onClick={() => void erase()}>
          Erase permanently
        </button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </section>
  );
}
