// Records as the core answers them, for the UI's unit tests: each maker
// fills every field a binding requires, so a test names only what it is
// about, and a new field is added here once.
import type { Activity } from "../bindings/Activity";
import type { Bid } from "../bindings/Bid";
import type { Contact } from "../bindings/Contact";
import type { Job } from "../bindings/Job";
import type { Project } from "../bindings/Project";
import type { Subject } from "../bindings/Subject";

/** The bookkeeping fields every record has. */
export const meta = {
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  deleted_at: null,
  source: null,
  external_id: null,
};

/** An active fixed-price EUR project of `clientId`, numbered `n` in its id. */
export function project(n: number, clientId: string, name: string): Project {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000p${n}`,
    client_id: clientId,
    name,
    status: "active",
    rate_type: "fixed",
    budget_minor: null,
    currency: "EUR",
    start_date: null,
    due_date: null,
    description: "",
    tags: [],
  };
}

/** A contact of `clientId`, numbered `n` in its id, with only a name. */
export function contact(n: number, clientId: string, name: string): Contact {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000k${n}`,
    client_id: clientId,
    name,
    email: null,
    phone: null,
    role: null,
    notes: "",
    tags: [],
  };
}

/** A note on `subject`, numbered `n` in its id, logged at `occurredAt`. */
export function note(n: number, subject: Subject, body: string, occurredAt: string): Activity {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000a${n}`,
    subject_kind: subject.kind,
    subject_id: subject.id,
    kind: "note",
    body,
    occurred_at: occurredAt,
  };
}

/** A fixed-price USD job without a client, numbered `n` in its id. */
export function job(n: number, title: string): Job {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000j${n}`,
    client_id: null,
    title,
    description: "",
    url: null,
    budget_kind: "fixed",
    budget_min_minor: null,
    budget_max_minor: null,
    currency: "USD",
    skills: [],
    employer_name: null,
    posted_at: null,
    saved: false,
    hidden: false,
    my_notes: "",
    market_status: null,
    tags: [],
  };
}

/** A draft USD bid on `jobId` of `amountMinor`, numbered `n` in its id. */
export function bid(n: number, jobId: string, amountMinor: number): Bid {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-00000000b${String(n).padStart(3, "0")}`,
    job_id: jobId,
    project_id: null,
    status: "draft",
    amount_minor: amountMinor,
    currency: "USD",
    delivery_days: 7,
    milestone_percentage: 100,
    proposal: "",
    submitted_at: null,
    server_version: null,
    tags: [],
  };
}
