// The "New bid" form: pick a job (searched among the listed jobs), amount as
// decimal text turned into minor units, currency, delivery days, the upfront
// milestone as a percentage of the amount (0–100, Freelancer-style), proposal.
// Used by the Bids screen and, prefilled with a job, by the Jobs screen.
import { useEffect, useMemo, useState } from "preact/hooks";
import * as api from "../../api";
import type { Bid } from "../../bindings/Bid";
import type { Job } from "../../bindings/Job";
import { Field } from "../Field";
import { toMinor } from "../../money";
import { loadAll } from "../../loadAll";

interface BidFormProps {
  /** Prefills (and fixes) the job. */
  job?: Job | null;
  onSaved: (bid: Bid) => void;
  onCancel: () => void;
}

const FIELD_OF_CORE: Record<string, string> = {
  job: "job",
  job_id: "job",
  amount: "amount",
  amount_minor: "amount",
  currency: "currency",
  delivery_days: "days",
  milestone_percentage: "milestone",
  proposal: "proposal",
};

/**
 * What the job's marketplace will refuse, known before anything is sent (the
 * core checks the same): a closed job takes no bids, and a bid must be in the
 * currency the job pays in. Jobs entered by hand have no such rule.
 */
function marketRule(job: Job): { closed: string | null; currency: string | null } | null {
  if (job.market_status === null) return null;
  return {
    closed: job.market_status === "closed" ? "This job is closed on its marketplace, which takes no more bids on it." : null,
    currency: job.currency,
  };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? "" : ".");
}

export function BidForm({ job, onSaved, onCancel }: BidFormProps) {
  const [jobs, setJobs] = useState<Job[]>(job ? [job] : []);
  const [query, setQuery] = useState("");
  const [jobId, setJobId] = useState(job?.id ?? "");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState(job?.currency ?? "USD");
  const [days, setDays] = useState("7");
  const [milestone, setMilestone] = useState("0");
  const [proposal, setProposal] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  // autofocus is not honoured for inserted forms everywhere; focus the first field.
  useEffect(() => {
    document.getElementById(job ? "field-bid-amount" : "field-bid-job-search")?.focus();
  }, []);

  useEffect(() => {
    if (job) return;
    loadAll((after) => api.jobs.list({ hidden: false }, api.page(200, after, "name")), 1000).then(
      ({ items }) => setJobs(items),
      (raw) => setErrors({ form: `Jobs could not be listed: ${api.describe(api.asApiError(raw))}` }),
    );
  }, [job]);

  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    const found = q ? jobs.filter((j) => `${j.title} ${j.employer_name ?? ""}`.toLowerCase().includes(q)) : jobs;
    return found.slice(0, 50);
  }, [jobs, query]);

  async function submit(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!jobId) found["job"] = jobs.length === 0 ? "Add a job first on the Jobs screen." : "Pick the job this bid is for.";
    const code = currency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(code)) found["currency"] = "Use a three-letter code such as USD.";
    const target = jobs.find((j) => j.id === jobId);
    const rule = target ? marketRule(target) : null;
    if (rule?.closed) found[job ? "form" : "job"] = rule.closed;
    else if (rule?.currency && code !== rule.currency)
      found["currency"] = `The job pays in ${rule.currency}; its marketplace takes bids on it only in ${rule.currency}.`;
    const money = toMinor(amount, code || "USD");
    if ("error" in money) found["amount"] = money.error;
    const dayCount = Number(days);
    if (!Number.isInteger(dayCount) || dayCount < 1) found["days"] = "Use a whole number of days, 1 or more.";
    const percentage = milestone.trim() === "" ? 0 : Number(milestone);
    if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100)
      found["milestone"] = "Use a whole percentage from 0 to 100.";
    setErrors(found);
    if (Object.keys(found).length > 0 || "error" in money) return;
    setBusy(true);
    try {
      const bid = await api.bids.create({
        job_id: jobId,
        amount_minor: money.minor,
        currency: code,
        delivery_days: dayCount,
        milestone_percentage: percentage,
        proposal,
      });
      onSaved(bid);
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code === "validation") {
        // With the job given, there is no job field to show its error beside.
        const shown = (field: string) => (FIELD_OF_CORE[field] === "job" && job ? undefined : FIELD_OF_CORE[field]);
        setErrors(Object.fromEntries(Object.entries(api.formErrors(err, shown)).map(([k, text]) => [k, sentence(text)])));
      } else if (err.code === "not_found") {
        setErrors({ job: "That job no longer exists; pick another." });
      } else {
        setErrors({ form: api.describe(err) });
      }
    } finally {
      setBusy(false);
    }
  }

  const picked = jobs.find((j) => j.id === jobId);
  const pickedRule = picked ? marketRule(picked) : null;
  const currencyHint = pickedRule?.currency ? `Its marketplace takes bids only in ${pickedRule.currency}` : undefined;

  return (
    <form class="pipeline-form" onSubmit={submit} aria-label="New bid">
      <h2>New bid</h2>
      {job ? (
        <p>
          For <strong>{job.title}</strong>
        </p>
      ) : (
        <div class={`field${errors["job"] ? " field-invalid" : ""}`}>
          <Field label="Find a job" name="bid-job-search" type="search" value={query} onInput={setQuery} autoFocus />
          <label for="bid-job">Job</label>
          <select
            id="bid-job"
            size={Math.min(6, Math.max(2, matches.length))}
            value={jobId}
            aria-invalid={errors["job"] ? true : undefined}
            aria-describedby={errors["job"] ? "bid-job-error" : undefined}
            onChange={(e) => {
              const id = e.currentTarget.value;
              setJobId(id);
              const picked = jobs.find((j) => j.id === id);
              if (picked?.currency) setCurrency(picked.currency);
            }}
          >
            {matches.map((j) => (
              <option key={j.id} value={j.id}>
                {j.title}
                {j.employer_name ? ` — ${j.employer_name}` : ""}
              </option>
            ))}
          </select>
          {errors["job"] && (
            <p class="field-error" id="bid-job-error" role="alert">
              {errors["job"]}
            </p>
          )}
        </div>
      )}
      <div class="form-row">
        <Field
          label="Amount"
          name="bid-amount"
          value={amount}
          onInput={setAmount}
          error={errors["amount"]}
          hint="For example 950.00"
          required
          autoFocus={!!job}
        />
        <Field
          label="Currency"
          name="bid-currency"
          value={currency}
          onInput={(v) => setCurrency(v.toUpperCase())}
          error={errors["currency"]}
          hint={currencyHint}
          required
        />
        <Field
          label="Delivery days"
          name="bid-days"
          type="number"
          value={days}
          onInput={setDays}
          error={errors["days"]}
          required
        />
        <Field
          label="Upfront milestone (%)"
          name="bid-milestone"
          type="number"
          value={milestone}
          onInput={setMilestone}
          error={errors["milestone"]}
          hint="Share of the amount asked as the first milestone, 0 to 100"
        />
      </div>
      <Field
        label="Proposal"
        name="bid-proposal"
        value={proposal}
        onInput={setProposal}
        error={errors["proposal"]}
        multiline
      />
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="form-actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save draft bid"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
