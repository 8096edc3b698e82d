// The sections of a client's page: contacts, projects, the bids and
// milestones of its work, and the activity timeline.
import { useEffect, useState } from "preact/hooks";
import * as api from "../../api";
import type { Activity } from "../../bindings/Activity";
import type { ActivityKind } from "../../bindings/ActivityKind";
import type { Bid } from "../../bindings/Bid";
import type { Contact } from "../../bindings/Contact";
import type { EntityKind } from "../../bindings/EntityKind";
import type { Id } from "../../bindings/Id";
import type { Job } from "../../bindings/Job";
import type { Milestone } from "../../bindings/Milestone";
import type { NewContact } from "../../bindings/NewContact";
import type { NewProject } from "../../bindings/NewProject";
import type { Project } from "../../bindings/Project";
import type { ProjectStatus } from "../../bindings/ProjectStatus";
import type { RateType } from "../../bindings/RateType";
import { notify } from "../../state";
import { Field } from "../Field";
import { ACTIVITY_KINDS, labelOf, PROJECT_STATUSES, RATE_TYPES } from "./labels";
import { formatMoney, parseMinor } from "../../money";
import { useFocusOnMount } from "./focus";
import { SelectField } from "./SelectField";
import { usePaged } from "./usePaged";

/** Splits a core error into field errors for a form; unknown fields go to "form". */
function errorsFrom(raw: unknown, fields: string[]): Record<string, string> {
  const err = api.asApiError(raw);
  if (err.code === "validation") return api.formErrors(err, (field) => (fields.includes(field) ? field : undefined));
  return { form: `Could not save (${err.code}): ${api.describe(err)}` };
}

function FormError({ errors }: { errors: Record<string, string> }) {
  return errors["form"] ? (
    <p class="form-error" role="alert">
      {errors["form"]}
    </p>
  ) : null;
}

function ListState({ loading, error, count, empty }: { loading: boolean; error: api.ApiError | null; count: number; empty: string }) {
  if (error)
    return (
      <p class="form-error" role="alert">
        Could not load ({error.code}): {api.describe(error)}
      </p>
    );
  if (loading && count === 0) return <p class="muted">Loading…</p>;
  if (count === 0) return <p class="muted">{empty}</p>;
  return null;
}

/** Soft-deletes a record and offers undo; `after` refreshes the list both times. */
async function removeWithUndo(kind: EntityKind, id: Id, what: string, after: () => void) {
  try {
    await api.remove(kind, id);
    after();
    notify(`${what} deleted`, {
      undo: async () => {
        try {
          await api.restore(kind, id);
          after();
        } catch (raw) {
          notify(`Could not restore: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
        }
      },
    });
  } catch (raw) {
    const err = api.asApiError(raw);
    notify(`Could not delete (${err.code}): ${api.describe(err)}`, { tone: "error" });
  }
}

const escCancels = (cancel: () => void) => (e: KeyboardEvent) => {
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    cancel();
  }
};

// ---- Contacts ----------------------------------------------------------

export function ContactsSection({ clientId }: { clientId: Id }) {
  const list = usePaged<Contact>((after) => api.contacts.list({ client_id: clientId }, api.page(100, after, "name")), [clientId]);
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [role, setRole] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useFocusOnMount("field-contact-name", adding);

  function reset() {
    setAdding(false);
    setTimeout(() => document.getElementById("add-contact")?.focus());
    setName("");
    setEmail("");
    setPhone("");
    setRole("");
    setErrors({});
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: "A contact needs a name." });
    const contact: NewContact = { client_id: clientId, name: name.trim(), notes: "" };
    if (email.trim()) contact.email = email.trim();
    if (phone.trim()) contact.phone = phone.trim();
    if (role.trim()) contact.role = role.trim();
    setBusy(true);
    try {
      await api.contacts.create(contact);
      reset();
      list.reload();
    } catch (raw) {
      setErrors(errorsFrom(raw, ["name", "email", "phone", "role"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="section" aria-labelledby="contacts-title">
      <header>
        <h2 id="contacts-title">Contacts</h2>
        {!adding && <button id="add-contact" onClick={() => setAdding(true)}>Add contact</button>}
      </header>
      {adding && (
        <form noValidate class="record-form" onSubmit={submit} aria-label="New contact" onKeyDown={escCancels(reset)}>
          <Field label="Name" name="contact-name" value={name} onInput={setName} error={errors["name"]} required autoFocus />
          <Field label="Role" name="contact-role" value={role} onInput={setRole} error={errors["role"]} />
          <Field label="Email" name="contact-email" type="email" value={email} onInput={setEmail} error={errors["email"]} />
          <Field label="Phone" name="contact-phone" type="tel" value={phone} onInput={setPhone} error={errors["phone"]} />
          <FormError errors={errors} />
          <div class="actions">
            <button class="primary" type="submit" disabled={busy}>
              Add contact
            </button>
            <button type="button" onClick={reset}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No contacts yet." />
      <ul class="items" aria-label="Contacts">
        {list.items.map((c) => (
          <li key={c.id}>
            <span class="grow">
              <strong>{c.name}</strong>
              {c.role && <span class="sub"> · {c.role}</span>}
              {(c.email || c.phone) && (
                <>
                  <br />
                  <span class="sub">{[c.email, c.phone].filter(Boolean).join(" · ")}</span>
                </>
              )}
            </span>
            <button class="link" aria-label={`Delete contact ${c.name}`} onClick={() => void removeWithUndo("contact", c.id, `Contact ${c.name}`, list.reload)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      {list.hasMore && (
        <button class="link" onClick={list.more}>
          Show more contacts
        </button>
      )}
    </section>
  );
}

// ---- Projects ----------------------------------------------------------

export function ProjectsSection({ clientId, onChanged }: { clientId: Id; onChanged: (projects: Project[]) => void }) {
  const list = usePaged<Project>((after) => api.projects.list({ client_id: clientId }, api.page(100, after, "newest")), [clientId]);
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState("");
  const [status, setStatus] = useState<ProjectStatus>("lead");
  const [rateType, setRateType] = useState<RateType>("fixed");
  const [budget, setBudget] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => onChanged(list.items), [list.items]);
  useFocusOnMount("field-project-name", adding);

  function reset() {
    setAdding(false);
    setTimeout(() => document.getElementById("add-project")?.focus());
    setName("");
    setStatus("lead");
    setRateType("fixed");
    setBudget("");
    setErrors({});
  }

  async function submit(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!name.trim()) found["name"] = "A project needs a name.";
    const project: NewProject = { client_id: clientId, name: name.trim(), status, rate_type: rateType, description: "" };
    if (budget.trim()) {
      const code = currency.trim().toUpperCase();
      if (!/^[A-Z]{3}$/.test(code)) found["currency"] = "Use a three-letter code such as USD or EUR.";
      else {
        const parsed = parseMinor(budget, code);
        if (parsed.ok) {
          project.budget_minor = parsed.minor;
          project.currency = code;
        } else found["budget"] = parsed.error;
      }
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await api.projects.create(project);
      reset();
      list.reload();
    } catch (raw) {
      setErrors(errorsFrom(raw, ["name", "budget", "currency", "status"]));
    } finally {
      setBusy(false);
    }
  }

  async function changeStatus(p: Project, next: ProjectStatus) {
    try {
      await api.projects.update(p.id, { status: next });
      list.reload();
    } catch (raw) {
      const err = api.asApiError(raw);
      notify(err.code === "invalid_transition" ? `Cannot move ${p.name} to ${labelOf(PROJECT_STATUSES, next)}: ${api.describe(err)}` : `Could not change status (${err.code}): ${api.describe(err)}`, { tone: "error" });
      list.reload();
    }
  }

  return (
    <section class="section" aria-labelledby="projects-title">
      <header>
        <h2 id="projects-title">Projects</h2>
        {!adding && <button id="add-project" onClick={() => setAdding(true)}>Add project</button>}
      </header>
      {adding && (
        <form noValidate class="record-form" onSubmit={submit} aria-label="New project" onKeyDown={escCancels(reset)}>
          <Field label="Name" name="project-name" value={name} onInput={setName} error={errors["name"]} required autoFocus />
          <SelectField label="Status" name="project-status" value={status} options={PROJECT_STATUSES} onChange={setStatus} error={errors["status"]} />
          <SelectField label="Rate type" name="project-rate" value={rateType} options={RATE_TYPES} onChange={setRateType} />
          <Field label="Budget" name="project-budget" value={budget} onInput={setBudget} error={errors["budget"]} hint="Optional, e.g. 1250.00" />
          <Field label="Currency" name="project-currency" value={currency} onInput={setCurrency} error={errors["currency"]} />
          <FormError errors={errors} />
          <div class="actions">
            <button class="primary" type="submit" disabled={busy}>
              Add project
            </button>
            <button type="button" onClick={reset}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No projects yet." />
      <ul class="items" aria-label="Projects">
        {list.items.map((p) => (
          <li key={p.id}>
            <span class="grow">
              <strong>{p.name}</strong>
              <br />
              <span class="sub">
                {labelOf(RATE_TYPES, p.rate_type)} · {formatMoney(p.budget_minor, p.currency)}
              </span>
            </span>
            <select
              class="inline-select"
              aria-label={`Status of ${p.name}`}
              value={p.status}
              onChange={(e) => void changeStatus(p, e.currentTarget.value as ProjectStatus)}
            >
              {PROJECT_STATUSES.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
            <button class="link" aria-label={`Delete project ${p.name}`} onClick={() => void removeWithUndo("project", p.id, `Project ${p.name}`, list.reload)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      {list.hasMore && (
        <button class="link" onClick={list.more}>
          Show more projects
        </button>
      )}
    </section>
  );
}

// ---- Bids and milestones ----------------------------------------------

interface Work {
  milestones: { project: Project; milestone: Milestone }[];
  bids: { job: Job; bid: Bid }[];
}

export function WorkSection({ clientId, projects }: { clientId: Id; projects: Project[] }) {
  const [work, setWork] = useState<Work | null>(null);
  const [error, setError] = useState<api.ApiError | null>(null);
  const projectKey = projects.map((p) => p.id).join(",");

  useEffect(() => {
    let live = true;
    setError(null);
    (async () => {
      const milestones: Work["milestones"] = [];
      for (const project of projects) {
        const page = await api.milestones.list({ project_id: project.id }, api.page(100, null, "oldest"));
        for (const milestone of page.items) milestones.push({ project, milestone });
      }
      const bids: Work["bids"] = [];
      const jobs = await api.jobs.list({ client_id: clientId }, api.page(100, null, "newest"));
      for (const job of jobs.items) {
        const page = await api.bids.list({ job_id: job.id }, api.page(100, null, "newest"));
        for (const bid of page.items) bids.push({ job, bid });
      }
      if (live) setWork({ milestones, bids });
    })().catch((raw) => {
      if (live) setError(api.asApiError(raw));
    });
    return () => {
      live = false;
    };
  }, [clientId, projectKey]);

  return (
    <section class="section" aria-labelledby="work-title">
      <header>
        <h2 id="work-title">Bids and milestones</h2>
      </header>
      {error ? (
        <p class="form-error" role="alert">
          Could not load ({error.code}): {api.describe(error)}
        </p>
      ) : !work ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <h3 class="muted">Bids</h3>
          {work.bids.length === 0 ? (
            <p class="muted">No bids on this client’s jobs.</p>
          ) : (
            <ul class="items" aria-label="Bids">
              {work.bids.map(({ job, bid }) => (
                <li key={bid.id}>
                  <span class="grow">
                    {job.title}
                    <br />
                    <span class="sub">
                      {bid.delivery_days} days · {bid.submitted_at ? `sent ${new Date(bid.submitted_at).toLocaleDateString()}` : "not sent"}
                    </span>
                  </span>
                  <span class="money">{formatMoney(bid.amount_minor, bid.currency)}</span>
                  <span class="pill">{bid.status}</span>
                </li>
              ))}
            </ul>
          )}
          <h3 class="muted">Milestones</h3>
          {work.milestones.length === 0 ? (
            <p class="muted">No milestones on this client’s projects.</p>
          ) : (
            <ul class="items" aria-label="Milestones">
              {work.milestones.map(({ project, milestone }) => (
                <li key={milestone.id}>
                  <span class="grow">
                    {milestone.title}
                    <br />
                    <span class="sub">
                      {project.name}
                      {milestone.due_date ? ` · due ${milestone.due_date}` : ""}
                    </span>
                  </span>
                  <span class="money">{formatMoney(milestone.amount_minor, milestone.currency)}</span>
                  <span class="pill">{milestone.status}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

// ---- Timeline ----------------------------------------------------------

export function Timeline({ clientId }: { clientId: Id }) {
  const list = usePaged<Activity>(
    (after) => api.activities.list({ subject: { kind: "client", id: clientId } }, api.page(50, after, "newest")),
    [clientId],
  );
  const [kind, setKind] = useState<ActivityKind>("note");
  const [body, setBody] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!body.trim()) return setErrors({ body: "Write something first." });
    setBusy(true);
    try {
      await api.activities.create({ subject: { kind: "client", id: clientId }, kind, body: body.trim() });
      setBody("");
      setErrors({});
      list.reload();
    } catch (raw) {
      setErrors(errorsFrom(raw, ["body"]));
    } finally {
      setBusy(false);
    }
  }

  const sorted = [...list.items].sort((a, b) => b.occurred_at.localeCompare(a.occurred_at));

  return (
    <section class="section" aria-labelledby="timeline-title">
      <header>
        <h2 id="timeline-title">Timeline</h2>
      </header>
      <form noValidate class="record-form" onSubmit={submit} aria-label="Add note">
        <SelectField label="Kind" name="activity-kind" value={kind} options={ACTIVITY_KINDS} onChange={setKind} />
        <div class="wide">
          <Field label="Add note" name="activity-body" value={body} onInput={setBody} error={errors["body"]} multiline />
        </div>
        <FormError errors={errors} />
        <div class="actions">
          <button class="primary" type="submit" disabled={busy}>
            Add {labelOf(ACTIVITY_KINDS, kind).toLowerCase()}
          </button>
        </div>
      </form>
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="Nothing logged yet." />
      <ol class="items timeline" aria-label="Timeline, newest first">
        {sorted.map((a) => (
          <li key={a.id}>
            <span class="when">
              <span class="pill">{labelOf(ACTIVITY_KINDS, a.kind)}</span>
              <br />
              <time dateTime={a.occurred_at}>{new Date(a.occurred_at).toLocaleString()}</time>
            </span>
            <span class="body">
              {a.body}{" "}
              <button class="link" aria-label={`Delete ${a.kind} from ${new Date(a.occurred_at).toLocaleString()}`} onClick={() => void removeWithUndo("activity", a.id, labelOf(ACTIVITY_KINDS, a.kind), list.reload)}>
                Delete
              </button>
            </span>
          </li>
        ))}
      </ol>
      {list.hasMore && (
        <button class="link" onClick={list.more}>
          Show older
        </button>
      )}
    </section>
  );
}
