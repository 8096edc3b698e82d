// The add and edit forms of contacts, projects, jobs, bids and milestones:
// which fields each has, and how the form's text becomes the core's new
// record or patch. An edit sends only what changed; an emptied optional
// field is sent as null to clear it. What a marketplace owns is shown
// read-only with the core's reason (RecordRules.ts, BidLifecycle.ts).
import * as api from "../../api";
import type { Bid } from "../../bindings/Bid";
import { SENDS_EDITS, TERMINAL } from "../../bindings/BidLifecycle";
import type { BidPatch } from "../../bindings/BidPatch";
import type { Contact } from "../../bindings/Contact";
import type { ContactPatch } from "../../bindings/ContactPatch";
import type { Id } from "../../bindings/Id";
import type { Job } from "../../bindings/Job";
import type { JobPatch } from "../../bindings/JobPatch";
import type { Milestone } from "../../bindings/Milestone";
import type { MilestonePatch } from "../../bindings/MilestonePatch";
import type { NewContact } from "../../bindings/NewContact";
import type { NewMilestone } from "../../bindings/NewMilestone";
import type { NewProject } from "../../bindings/NewProject";
import type { Project } from "../../bindings/Project";
import type { ProjectPatch } from "../../bindings/ProjectPatch";
import type { ProjectStatus } from "../../bindings/ProjectStatus";
import type { RateType } from "../../bindings/RateType";
import { JOB_FIELD_REASON, JOB_MARKET_FIELDS, MILESTONE_AMOUNT_OPEN, MILESTONE_REASON } from "../../bindings/RecordRules";
import { minorToInput, toMinor } from "../../money";
import { changedValues, filledValues } from "./CustomFieldInputs";
import { PROJECT_STATUSES, RATE_TYPES } from "./labels";
import { changedKeys, RecordForm, Refusal, splitList, type Extras, type FieldSpec, type Values } from "./RecordForm";

interface FormProps<R> {
  onSaved: (saved: R) => void;
  onCancel: () => void;
}

/** `null` for an emptied optional text, else the trimmed text. */
const orNull = (text: string | undefined): string | null => (text ?? "").trim() || null;

/** The tags and custom values an edit changes, added to `patch`. */
function extrasPatch<P extends { tags?: string[]; fields?: Record<string, string | null> }>(patch: P, record: { tags?: string[]; fields?: Record<string, string> }, extras: Extras): P {
  if (extras.tags.join("\n") !== (record.tags ?? []).join("\n")) patch.tags = extras.tags;
  const fields = changedValues(record.fields ?? {}, extras.fields);
  if (Object.keys(fields).length > 0) patch.fields = fields;
  return patch;
}

/** An amount and its currency from two fields, or the errors to show beside them. */
function money(values: Values, amountKey: string, currencyKey: string): { minor: number; currency: string } {
  const currency = (values[currencyKey] ?? "").trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new Refusal({ [currencyKey]: "Use a three-letter code such as USD or EUR." });
  const parsed = toMinor(values[amountKey] ?? "", currency);
  if ("error" in parsed) throw new Refusal({ [amountKey]: parsed.error });
  return { minor: parsed.minor, currency };
}

function wholeNumber(text: string | undefined, key: string, min: number, max: number, what: string): number {
  const n = Number((text ?? "").trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new Refusal({ [key]: `${what} is a whole number from ${min} to ${max}.` });
  return n;
}

// ---- Contacts ----------------------------------------------------------

const CONTACT_SPEC: FieldSpec[] = [
  { key: "name", label: "Name", required: "A contact needs a name." },
  { key: "role", label: "Role" },
  { key: "email", label: "Email", type: "email" },
  { key: "phone", label: "Phone", type: "tel" },
  { key: "notes", label: "Notes", type: "multiline" },
];

function contactValues(c?: Contact): Values {
  return { name: c?.name ?? "", role: c?.role ?? "", email: c?.email ?? "", phone: c?.phone ?? "", notes: c?.notes ?? "" };
}

export function ContactForm(props: FormProps<Contact> & { contact?: Contact; clientId?: Id }) {
  const { contact } = props;
  const initial = contactValues(contact);
  async function save(v: Values, extras: Extras): Promise<Contact> {
    if (!contact) {
      const created: NewContact = { name: v["name"]!.trim(), notes: v["notes"] ?? "", tags: extras.tags, fields: filledValues(extras.fields) };
      if (props.clientId) created.client_id = props.clientId;
      for (const key of ["email", "phone", "role"] as const) if (orNull(v[key])) created[key] = orNull(v[key])!;
      return api.contacts.create(created);
    }
    const patch: ContactPatch = {};
    for (const key of changedKeys(v, initial, ["name", "role", "email", "phone", "notes"])) {
      if (key === "name") patch.name = v["name"]!.trim();
      else if (key === "notes") patch.notes = v["notes"] ?? "";
      else patch[key as "role" | "email" | "phone"] = orNull(v[key]);
    }
    extrasPatch(patch, contact, extras);
    return Object.keys(patch).length === 0 ? contact : api.contacts.update(contact.id, patch);
  }
  return (
    <RecordForm
      kind="contact"
      heading={contact ? "Edit contact" : "New contact"}
      label={contact ? `Edit contact ${contact.name}` : "New contact"}
      prefix={contact ? "contact-edit" : "contact-new"}
      submitLabel={contact ? "Save changes" : "Add contact"}
      spec={CONTACT_SPEC}
      initial={initial}
      tags={contact?.tags ?? []}
      fields={contact?.fields ?? {}}
      save={save}
      onSaved={props.onSaved}
      onCancel={props.onCancel}
    />
  );
}

// ---- Projects ----------------------------------------------------------

const PROJECT_SPEC: FieldSpec[] = [
  { key: "name", label: "Name", required: "A project needs a name." },
  { key: "status", label: "Status", type: "select", options: PROJECT_STATUSES },
  { key: "rate_type", label: "Rate type", type: "select", options: RATE_TYPES },
  { key: "budget", label: "Budget", hint: "Optional, e.g. 1250.00", coreNames: ["budget_minor"] },
  { key: "currency", label: "Currency" },
  { key: "start_date", label: "Starts", type: "date" },
  { key: "due_date", label: "Due", type: "date" },
  { key: "description", label: "Description", type: "multiline" },
];

function projectValues(p?: Project): Values {
  return {
    name: p?.name ?? "",
    status: p?.status ?? "lead",
    rate_type: p?.rate_type ?? "fixed",
    budget: p?.budget_minor != null && p.currency ? minorToInput(p.budget_minor, p.currency) : "",
    currency: p?.currency ?? "USD",
    start_date: p?.start_date ?? "",
    due_date: p?.due_date ?? "",
    description: p?.description ?? "",
  };
}

export function ProjectForm(props: FormProps<Project> & { project?: Project; clientId?: Id }) {
  const { project } = props;
  const initial = projectValues(project);
  async function save(v: Values, extras: Extras): Promise<Project> {
    const budget = (v["budget"] ?? "").trim() ? money(v, "budget", "currency") : null;
    if (!project) {
      const created: NewProject = {
        name: v["name"]!.trim(),
        status: v["status"] as ProjectStatus,
        rate_type: v["rate_type"] as RateType,
        description: v["description"] ?? "",
        tags: extras.tags,
        fields: filledValues(extras.fields),
      };
      if (props.clientId) created.client_id = props.clientId;
      if (budget) [created.budget_minor, created.currency] = [budget.minor, budget.currency];
      if (orNull(v["start_date"])) created.start_date = v["start_date"]!;
      if (orNull(v["due_date"])) created.due_date = v["due_date"]!;
      return api.projects.create(created);
    }
    const patch: ProjectPatch = {};
    const changed = changedKeys(v, initial, ["name", "status", "rate_type", "budget", "currency", "start_date", "due_date", "description"]);
    for (const key of changed) {
      if (key === "name") patch.name = v["name"]!.trim();
      else if (key === "status") patch.status = v["status"] as ProjectStatus;
      else if (key === "rate_type") patch.rate_type = v["rate_type"] as RateType;
      else if (key === "start_date" || key === "due_date") patch[key] = orNull(v[key]);
      else if (key === "description") patch.description = v["description"] ?? "";
    }
    if (changed.includes("budget") || (changed.includes("currency") && budget)) patch.budget = budget ? [budget.minor, budget.currency] : null;
    extrasPatch(patch, project, extras);
    return Object.keys(patch).length === 0 ? project : api.projects.update(project.id, patch);
  }
  return (
    <RecordForm
      kind="project"
      heading={project ? "Edit project" : "New project"}
      label={project ? `Edit project ${project.name}` : "New project"}
      prefix={project ? "project-edit" : "project-new"}
      submitLabel={project ? "Save changes" : "Add project"}
      spec={PROJECT_SPEC}
      initial={initial}
      tags={project?.tags ?? []}
      fields={project?.fields ?? {}}
      save={save}
      onSaved={props.onSaved}
      onCancel={props.onCancel}
    />
  );
}

// ---- Jobs ----------------------------------------------------------------

function jobSpec(job: Job): FieldSpec[] {
  const owned = (key: string) => (job.external_id !== null && JOB_MARKET_FIELDS.includes(key) ? { readOnly: JOB_FIELD_REASON } : {});
  return [
    { key: "title", label: "Title", required: "A job needs a title.", ...owned("title") },
    { key: "url", label: "Link", type: "url", ...owned("url") },
    { key: "skills", label: "Skills", hint: "Separate skills with commas", ...owned("skills") },
    { key: "employer_name", label: "Employer" },
    { key: "description", label: "Description", type: "multiline", ...owned("description") },
    { key: "my_notes", label: "My notes", type: "multiline" },
  ];
}

function jobValues(j: Job): Values {
  return { title: j.title, url: j.url ?? "", skills: j.skills.join(", "), employer_name: j.employer_name ?? "", description: j.description, my_notes: j.my_notes };
}

/** Edits a job; a new one is added on the Jobs screen. */
export function JobForm(props: FormProps<Job> & { job: Job }) {
  const { job } = props;
  const initial = jobValues(job);
  const spec = jobSpec(job);
  async function save(v: Values, extras: Extras): Promise<Job> {
    const patch: JobPatch = {};
    const editable = spec.filter((f) => !f.readOnly).map((f) => f.key);
    for (const key of changedKeys(v, initial, editable)) {
      if (key === "title") patch.title = v["title"]!.trim();
      else if (key === "url") patch.url = orNull(v["url"]);
      else if (key === "skills") patch.skills = splitList(v["skills"] ?? "");
      else if (key === "employer_name") patch.employer_name = orNull(v["employer_name"]);
      else if (key === "description") patch.description = v["description"] ?? "";
      else if (key === "my_notes") patch.my_notes = v["my_notes"] ?? "";
    }
    extrasPatch(patch, job, extras);
    return Object.keys(patch).length === 0 ? job : api.jobs.update(job.id, patch);
  }
  return (
    <RecordForm
      kind="job"
      heading="Edit job"
      label={`Edit job ${job.title}`}
      prefix="job-edit"
      submitLabel="Save changes"
      spec={spec}
      initial={initial}
      tags={job.tags ?? []}
      fields={job.fields ?? {}}
      save={save}
      onSaved={props.onSaved}
      onCancel={props.onCancel}
    />
  );
}

// ---- Bids ----------------------------------------------------------------

function bidValues(b: Bid): Values {
  return {
    amount: minorToInput(b.amount_minor, b.currency),
    currency: b.currency,
    delivery_days: String(b.delivery_days),
    milestone_percentage: String(b.milestone_percentage),
    proposal: b.proposal,
  };
}

/** Edits a bid's terms; a decided bid's are read-only, a pending one's go to its marketplace. */
export function BidTermsForm(props: FormProps<Bid> & { bid: Bid }) {
  const { bid } = props;
  const initial = bidValues(bid);
  const decided = TERMINAL.includes(bid.status) ? { readOnly: `is settled: the bid is ${bid.status}` } : {};
  const spec: FieldSpec[] = [
    { key: "amount", label: "Amount", required: "Enter an amount.", coreNames: ["amount_minor"], ...decided },
    { key: "currency", label: "Currency", ...decided },
    { key: "delivery_days", label: "Delivery (days)", type: "number", ...decided },
    { key: "milestone_percentage", label: "First milestone (%)", type: "number", hint: "The share of the amount asked up front, 0 to 100", ...decided },
    { key: "proposal", label: "Proposal", type: "multiline", ...decided },
  ];
  async function save(v: Values, extras: Extras): Promise<Bid> {
    const patch: BidPatch = {};
    if (!decided.readOnly) {
      const changed = changedKeys(v, initial, ["amount", "currency", "delivery_days", "milestone_percentage", "proposal"]);
      if (changed.includes("amount") || changed.includes("currency")) {
        const { minor, currency } = money(v, "amount", "currency");
        patch.amount = [minor, currency];
      }
      if (changed.includes("delivery_days")) patch.delivery_days = wholeNumber(v["delivery_days"], "delivery_days", 1, 3650, "Delivery");
      if (changed.includes("milestone_percentage")) patch.milestone_percentage = wholeNumber(v["milestone_percentage"], "milestone_percentage", 0, 100, "The share");
      if (changed.includes("proposal")) patch.proposal = v["proposal"] ?? "";
    }
    extrasPatch(patch, bid, extras);
    return Object.keys(patch).length === 0 ? bid : api.bids.update(bid.id, patch);
  }
  const note = SENDS_EDITS.includes(bid.status) && bid.market_account ? "Changed terms are sent to the marketplace with the next sync." : undefined;
  return (
    <RecordForm
      kind="bid"
      heading="Edit bid"
      label={`Edit bid on ${bid.job_title ?? "a job"}`}
      prefix="bid-edit"
      submitLabel="Save changes"
      spec={spec}
      initial={initial}
      tags={bid.tags ?? []}
      fields={bid.fields ?? {}}
      save={save}
      onSaved={props.onSaved}
      onCancel={props.onCancel}
      {...(note ? { note } : {})}
    />
  );
}

// ---- Milestones ----------------------------------------------------------

function milestoneValues(m?: Milestone, currency?: string | null): Values {
  return {
    title: m?.title ?? "",
    amount: m ? minorToInput(m.amount_minor, m.currency) : "",
    currency: m?.currency ?? currency ?? "USD",
    due_date: m?.due_date ?? "",
  };
}

/**
 * Adds a milestone to a project of the user's, or edits one. `idSuffix`
 * tells apart the forms of a page listing several projects' milestones (a
 * client's): its inputs' ids must be unique for their labels and for focus.
 */
export function MilestoneForm(props: FormProps<Milestone> & { milestone?: Milestone; projectId?: Id; currency?: string | null; idSuffix?: string }) {
  const { milestone } = props;
  const initial = milestoneValues(milestone, props.currency);
  const owned = milestone?.external_id ? { readOnly: MILESTONE_REASON } : {};
  const fixed = milestone && !MILESTONE_AMOUNT_OPEN.includes(milestone.status) ? { readOnly: `is fixed once the milestone is ${milestone.status}` } : {};
  const spec: FieldSpec[] = [
    { key: "title", label: "Title", required: "A milestone needs a title.", ...owned },
    { key: "amount", label: "Amount", required: "Enter an amount.", coreNames: ["amount_minor"], ...owned, ...fixed },
    { key: "currency", label: "Currency", ...owned, ...fixed },
    { key: "due_date", label: "Due", type: "date", ...owned },
  ];
  async function save(v: Values, extras: Extras): Promise<Milestone> {
    if (!milestone) {
      const { minor, currency } = money(v, "amount", "currency");
      const created: NewMilestone = { title: v["title"]!.trim(), amount_minor: minor, currency, tags: extras.tags, fields: filledValues(extras.fields) };
      if (props.projectId) created.project_id = props.projectId;
      if (orNull(v["due_date"])) created.due_date = v["due_date"]!;
      return api.milestones.create(created);
    }
    const patch: MilestonePatch = {};
    const editable = spec.filter((f) => !f.readOnly).map((f) => f.key);
    const changed = changedKeys(v, initial, editable);
    if (changed.includes("title")) patch.title = v["title"]!.trim();
    if (changed.includes("amount") || changed.includes("currency")) {
      const { minor, currency } = money(v, "amount", "currency");
      patch.amount = [minor, currency];
    }
    if (changed.includes("due_date")) patch.due_date = orNull(v["due_date"]);
    extrasPatch(patch, milestone, extras);
    return Object.keys(patch).length === 0 ? milestone : api.milestones.update(milestone.id, patch);
  }
  return (
    <RecordForm
      kind="milestone"
      heading={milestone ? "Edit milestone" : "New milestone"}
      label={milestone ? `Edit milestone ${milestone.title}` : "New milestone"}
      prefix={(milestone ? "milestone-edit" : "milestone-new") + (props.idSuffix ? `-${props.idSuffix}` : "")}
      submitLabel={milestone ? "Save changes" : "Add milestone"}
      spec={spec}
      initial={initial}
      tags={milestone?.tags ?? []}
      fields={milestone?.fields ?? {}}
      save={save}
      onSaved={props.onSaved}
      onCancel={props.onCancel}
    />
  );
}
