// Jobs: the list of jobs not hidden (saved and hide toggles), a "New job"
// form, and a detail panel (description, my notes, "Bid on this job"). The
// route stays {screen: "jobs"}; the selected job lives in this component,
// and back from its page it is open again, its "Open page" focused.
import { useEffect, useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Job } from "../bindings/Job";
import type { NewJob } from "../bindings/NewJob";
import type { RateType } from "../bindings/RateType";
import { Field } from "../components/Field";
import { BidForm } from "../components/pipeline/BidForm";
import { formatMinor, formatMoney, toMinor } from "../money";
import { go, notify } from "../state";
import { useListFilters } from "../components/records/ListFilters";
import { keepOpener, keepPlace, takePlace, useFocusOpener, useKept, type ListPlace } from "../places";
import { MAX_PAGE } from "../bindings/Paging";
import { KIND_LABEL } from "./Marketplaces";
import { FollowUp } from "../components/FollowUp";
import { dateText } from "../dates";
import "./pipeline.css";

const PAGE = 50;

function budgetText(job: Job): string {
  const currency = job.currency ?? "";
  const min = job.budget_min_minor;
  const max = job.budget_max_minor;
  const per = job.budget_kind === "hourly" ? " / hour" : "";
  if (!currency || (min === null && max === null)) return job.budget_kind === "hourly" ? "Hourly" : "Fixed price";
  if (min !== null && max !== null && min !== max)
    return `${formatMinor(min, currency)} – ${formatMoney(max, currency)}${per}`;
  return `${formatMoney((min ?? max) as number, currency)}${per}`;
}

/** Why postings from some marketplaces go: their API terms limit keeping them. */
function RetentionNote({ accounts }: { accounts: api.MarketAccount[] }) {
  const limited = accounts.filter((a) => a.capabilities.listing_retention_hours !== null);
  if (limited.length === 0) return null;
  return (
    <p class="muted small" data-testid="retention-note">
      {limited
        .map(
          (a) =>
            `Postings from ${a.name} that you have not acted on (a bid, saved, a note or task, a client) are removed ${a.capabilities.listing_retention_hours} hours after they were fetched, as its API terms require.`,
        )
        .join(" ")}
    </p>
  );
}

export function Jobs() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [savedOnly, setSavedOnly] = useKept("jobs.saved", false);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<Job | null>(null);
  // Where each job came from, and what its marketplace's terms say about keeping it.
  const [accounts, setAccounts] = useState<Record<string, api.MarketAccount>>({});
  const extras = useListFilters("job");
  const placeFilter = `${savedOnly}|${extras.key}`;
  // Back from a job's page: as many jobs read as were, the job that was open open again.
  const [left] = useState(() => takePlace("jobs", placeFilter));
  const returning = useRef<ListPlace | null>(left);

  async function load(after: string | null) {
    const back = after === null ? returning.current : null;
    returning.current = null;
    try {
      const connected = await api.sync.accounts();
      setAccounts(Object.fromEntries(connected.map((a) => [a.id, a])));
      const filter = { hidden: false, ...(savedOnly ? { saved: true } : {}), ...extras.filter };
      const limit = back ? Math.min(MAX_PAGE, Math.max(PAGE, back.loaded)) : PAGE;
      const page = await api.jobs.list(filter, api.page(limit, after, "newest"));
      setJobs((prev) => (after && prev ? [...prev, ...page.items] : page.items));
      setNext(page.next);
      const open = back?.chosen ? page.items.find((job) => job.id === back.chosen?.key) : undefined;
      if (open) setSelected(open);
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }

  useReadEffect(() => {
    void load(null);
  }, [savedOnly, extras.key]);

  // Left: how far the list was read and which job was open.
  const latest = useRef({ jobs, selected, placeFilter });
  latest.current = { jobs, selected, placeFilter };
  useEffect(
    () => () => {
      const { jobs: read, selected: open, placeFilter: filter } = latest.current;
      if (read === null) return;
      const index = open ? read.findIndex((job) => job.id === open.id) : -1;
      keepPlace("jobs", { filter, loaded: read.length, ends: [], scrollTop: 0, chosen: open && index >= 0 ? { key: open.id, index } : null });
    },
    [],
  );
  useFocusOpener("jobs", jobs !== null);

  function replace(job: Job) {
    setJobs((list) => list?.map((j) => (j.id === job.id ? job : j)) ?? null);
    if (selected?.id === job.id) setSelected(job);
  }

  async function toggleSaved(job: Job) {
    try {
      replace(await api.jobs.update(job.id, { saved: !job.saved }));
    } catch (raw) {
      notify(`The job could not be changed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  async function hide(job: Job) {
    try {
      await api.jobs.update(job.id, { hidden: true });
      setJobs((list) => list?.filter((j) => j.id !== job.id) ?? null);
      if (selected?.id === job.id) setSelected(null);
      notify(`Hid "${job.title}".`, {
        undo: async () => {
          await api.jobs.update(job.id, { hidden: false });
          await load(null);
        },
      });
    } catch (raw) {
      notify(`The job could not be hidden: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  return (
    <div class="pipeline">
      <div class="toolbar list-toolbar">
        <h1>Jobs</h1>
        {extras.controls}
        <label class="check">
          <input type="checkbox" checked={savedOnly} onChange={(e) => setSavedOnly(e.currentTarget.checked)} />
          Saved only
        </label>
        <button class="primary" onClick={() => setAdding(true)} disabled={adding}>
          New job
        </button>
      </div>
      {adding && (
        <JobForm
          onCancel={() => setAdding(false)}
          onSaved={(job) => {
            setAdding(false);
            setJobs((list) => [job, ...(list ?? [])]);
            setSelected(job);
                    notify(`Added "${job.title}".`);
          }}
        />
      )}
      {error && (
        <p class="form-error" role="alert">
          Jobs could not be loaded: {error} <button onClick={() => void load(null)}>Try again</button>
        </p>
      )}
      <div class={selected ? "master-detail" : ""}>
        <div>
          {jobs === null && !error && <p aria-busy="true">Loading jobs…</p>}
          {jobs !== null && jobs.length === 0 && !adding && (
            <div class="empty">
              {extras.active ? (
                <p>No {savedOnly ? "saved " : ""}jobs{extras.said}. Clear the filter to see every job.</p>
              ) : savedOnly ? (
                <p>No saved jobs. Save a job with its ☆ button to keep it here.</p>
              ) : (
                <>
                  <p>No jobs yet.</p>
                  <p>
                    Choose <strong>New job</strong> to note a job you might bid on.
                  </p>
                </>
              )}
            </div>
          )}
          {jobs !== null && jobs.length > 0 && (
            <ul class="job-list" aria-label="Jobs">
              {jobs.map((job) => (
                <li key={job.id} class={selected?.id === job.id ? "selected" : ""}>
                  <button
                    class="job-open"
                    aria-expanded={selected?.id === job.id}
                    aria-controls="job-detail"
                    onClick={() => setSelected(selected?.id === job.id ? null : job)}
                  >
                    <span class="job-title">
                      {job.title}
                      {job.market_status === "closed" && <span class="badge">Closed</span>}
                    </span>
                    <span class="muted small">
                      {[accounts[job.source ?? ""]?.name, job.employer_name, budgetText(job), job.skills.slice(0, 4).join(", ")]
                        .filter(Boolean)
                        .join(" · ")}
                    </span>
                  </button>
                  <button
                    class="icon"
                    aria-pressed={job.saved}
                    aria-label={job.saved ? `Unsave ${job.title}` : `Save ${job.title}`}
                    title={job.saved ? "Saved" : "Save"}
                    onClick={() => void toggleSaved(job)}
                  >
                    {job.saved ? "★" : "☆"}
                  </button>
                  <button class="icon" aria-label={`Hide ${job.title}`} title="Hide" onClick={() => void hide(job)}>
                    Hide
                  </button>
                </li>
              ))}
            </ul>
          )}
          {next && (
            <button class="load-more" onClick={() => void load(next)}>
              Load more jobs
            </button>
          )}
          <RetentionNote accounts={Object.values(accounts)} />
        </div>
        {selected && (
          <JobDetail
            key={selected.id}
            job={selected}
            account={accounts[selected.source ?? ""]}
            onChange={replace}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
    </div>
  );
}

function JobDetail(props: { job: Job; account?: api.MarketAccount; onChange: (job: Job) => void; onClose: () => void }) {
  const { job, account, onChange, onClose } = props;
  const [notes, setNotes] = useState(job.my_notes);
  const [notesError, setNotesError] = useState<string | null>(null);
  const [bidding, setBidding] = useState(false);
  const dirty = notes !== job.my_notes;

  async function saveNotes(e: Event) {
    e.preventDefault();
    try {
      onChange(await api.jobs.update(job.id, { my_notes: notes }));
      setNotesError(null);
      notify("Notes saved.");
    } catch (raw) {
      const err = api.asApiError(raw);
      setNotesError(err.message);
    }
  }

  return (
    <aside class="detail" id="job-detail" aria-label={`Job: ${job.title}`}>
      <div class="toolbar">
        <h2>{job.title}</h2>
        <button
          data-opener={job.id}
          onClick={() => {
            keepOpener("jobs", job.id);
            go({ screen: "record", kind: "job", id: job.id });
          }}
          aria-label={`Open the page of ${job.title}`}
        >
          Open page
        </button>
        <FollowUp subject={{ kind: "job", id: job.id }} what={job.title} />
        <button aria-label="Close the job" onClick={onClose}>
          Close
        </button>
      </div>
      <dl class="facts">
        {account && (
          <>
            <dt>From</dt>
            <dd data-testid="job-source">
              {account.name} ({KIND_LABEL[account.kind]})
              {job.url && (
                <>
                  {" "}
                  <button
                    class="small"
                    onClick={() =>
                      void api.sync.openJobPage(job.id).catch((raw) => notify(api.describe(api.asApiError(raw)), { tone: "error" }))
                    }
                  >
                    Open on {KIND_LABEL[account.kind]}
                  </button>
                </>
              )}
            </dd>
          </>
        )}
        {job.employer_name && (
          <>
            <dt>Employer</dt>
            <dd>{job.employer_name}</dd>
          </>
        )}
        {job.market_status && (
          <>
            <dt>On its marketplace</dt>
            <dd data-testid="job-market-status">
              {job.market_status === "open" ? "Open for bids" : "Closed: it takes no more bids"}
              <span class="muted small"> (as of the last sync)</span>
            </dd>
          </>
        )}
        <dt>Budget</dt>
        <dd>{budgetText(job)}</dd>
        {job.skills.length > 0 && (
          <>
            <dt>Skills</dt>
            <dd>{job.skills.join(", ")}</dd>
          </>
        )}
        {job.url && (
          <>
            <dt>Link</dt>
            <dd class="break">{job.url}</dd>
          </>
        )}
        <dt>Added</dt>
        <dd>{dateText(job.created_at)}</dd>
      </dl>
      <h3>Description</h3>
      {job.description ? <p class="prewrap">{job.description}</p> : <p class="muted">No description.</p>}
      <form onSubmit={saveNotes} aria-label="My notes">
        <Field label="My notes" name="job-notes" value={notes} onInput={setNotes} error={notesError} multiline />
        <div class="form-actions">
          <button type="submit" disabled={!dirty}>
            Save notes
          </button>
          {dirty && (
            <button type="button" onClick={() => setNotes(job.my_notes)}>
              Discard changes
            </button>
          )}
        </div>
      </form>
      {bidding ? (
        <BidForm
          job={job}
          onCancel={() => setBidding(false)}
          onSaved={() => {
            setBidding(false);
            notify(`Draft bid saved for "${job.title}".`, {});
          }}
        />
      ) : (
        <div class="form-actions">
          <button
            class="primary"
            disabled={job.market_status === "closed"}
            title={job.market_status === "closed" ? "Closed on its marketplace: it takes no more bids" : undefined}
            onClick={() => setBidding(true)}
          >
            Bid on this job
          </button>
          <button class="link" onClick={() => go({ screen: "bids" })}>
            See all bids
          </button>
        </div>
      )}
    </aside>
  );
}

const JOB_FIELDS: Record<string, string> = {
  title: "title",
  description: "description",
  url: "url",
  budget_min_minor: "min",
  budget_max_minor: "max",
  budget: "min",
  currency: "currency",
  skills: "skills",
  employer_name: "employer",
};

function JobForm({ onSaved, onCancel }: { onSaved: (job: Job) => void; onCancel: () => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [url, setUrl] = useState("");
  const [kind, setKind] = useState<RateType>("fixed");
  const [min, setMin] = useState("");
  const [max, setMax] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [skills, setSkills] = useState("");
  const [employer, setEmployer] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.getElementById("field-job-title")?.focus();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!title.trim()) found["title"] = "Give the job a title.";
    const code = currency.trim().toUpperCase();
    const job: NewJob = {
      title: title.trim(),
      description,
      budget_kind: kind,
      skills: skills
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
    if (url.trim()) job.url = url.trim();
    if (employer.trim()) job.employer_name = employer.trim();
    if (min.trim() || max.trim()) {
      if (!/^[A-Z]{3}$/.test(code)) found["currency"] = "Use a three-letter code such as USD.";
      else job.currency = code;
      for (const [key, text] of [
        ["min", min],
        ["max", max],
      ] as const) {
        if (!text.trim()) continue;
        const money = toMinor(text, code || "USD");
        if ("error" in money) found[key] = money.error;
        else if (key === "min") job.budget_min_minor = money.minor;
        else job.budget_max_minor = money.minor;
      }
      if (
        job.budget_min_minor !== undefined &&
        job.budget_max_minor !== undefined &&
        job.budget_min_minor > job.budget_max_minor
      )
        found["max"] = "The maximum is below the minimum.";
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      onSaved(await api.jobs.create(job));
    } catch (raw) {
      const err = api.asApiError(raw);
      setErrors(api.formErrors(err, (field) => JOB_FIELDS[field]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="pipeline-form" onSubmit={submit} aria-label="New job">
      <h2>New job</h2>
      <Field label="Title" name="job-title" value={title} onInput={setTitle} error={errors["title"]} required autoFocus />
      <Field label="Employer" name="job-employer" value={employer} onInput={setEmployer} error={errors["employer"]} />
      <Field label="Link" name="job-url" type="url" value={url} onInput={setUrl} error={errors["url"]} />
      <fieldset class="inline">
        <legend>Budget</legend>
        <label class="check">
          <input type="radio" name="job-kind" checked={kind === "fixed"} onChange={() => setKind("fixed")} />
          Fixed price
        </label>
        <label class="check">
          <input type="radio" name="job-kind" checked={kind === "hourly"} onChange={() => setKind("hourly")} />
          Hourly
        </label>
      </fieldset>
      <div class="form-row">
        <Field label="Budget from" name="job-min" value={min} onInput={setMin} error={errors["min"]} hint="Optional" />
        <Field label="Budget to" name="job-max" value={max} onInput={setMax} error={errors["max"]} hint="Optional" />
        <Field
          label="Currency"
          name="job-currency"
          value={currency}
          onInput={(v) => setCurrency(v.toUpperCase())}
          error={errors["currency"]}
        />
      </div>
      <Field
        label="Skills"
        name="job-skills"
        value={skills}
        onInput={setSkills}
        error={errors["skills"]}
        hint="Separate with commas: rust, sqlite, design"
      />
      <Field
        label="Description"
        name="job-description"
        value={description}
        onInput={setDescription}
        error={errors["description"]}
        multiline
      />
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="form-actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Saving…" : "Add job"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
