// What a task is about: a record's name (read once per record and kept),
// the place in the app that shows it, and a picker that finds one by search.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { EntityKind } from "../bindings/EntityKind";
import type { Id } from "../bindings/Id";
import type { SearchHit } from "../bindings/SearchHit";
import type { Subject } from "../bindings/Subject";
import { go, notify, type Route } from "../state";

export const KIND_LABEL: Record<EntityKind, string> = {
  client: "Client",
  contact: "Contact",
  project: "Project",
  job: "Job",
  bid: "Bid",
  milestone: "Milestone",
  activity: "Note",
  task: "Task",
};

/** The kinds a task may be about (the core refuses notes and tasks). */
const ABOUT_KINDS = new Set<EntityKind>(["client", "contact", "project", "job", "bid", "milestone"]);

const names = new Map<string, Promise<string>>();

async function readName(kind: EntityKind, id: Id): Promise<string> {
  switch (kind) {
    case "client":
      return (await api.clients.get(id)).name;
    case "contact":
      return (await api.contacts.get(id)).name;
    case "project":
      return (await api.projects.get(id)).name;
    case "job":
      return (await api.jobs.get(id)).title;
    case "bid":
      return `Bid on ${(await api.bids.get(id)).job_title ?? "a removed job"}`;
    case "milestone":
      return (await api.milestones.get(id)).title;
    default:
      return KIND_LABEL[kind];
  }
}

/** A record's name, read once per record while the window is open. */
export function subjectName(kind: EntityKind, id: Id): Promise<string> {
  const key = `${kind}:${id}`;
  let name = names.get(key);
  if (!name) {
    name = readName(kind, id).catch(() => `${KIND_LABEL[kind]} (removed)`);
    names.set(key, name);
  }
  return name;
}

/** The page that shows a record: its own, or (a milestone, a note) its owner's; a task's is the task list. */
export async function subjectRoute(subject: Subject): Promise<Route> {
  switch (subject.kind) {
    case "client":
      return { screen: "client", id: subject.id };
    case "contact":
    case "project":
    case "job":
    case "bid":
      return { screen: "record", kind: subject.kind, id: subject.id };
    case "milestone": {
      const m = await api.milestones.get(subject.id);
      if (m.project_id) return { screen: "record", kind: "project", id: m.project_id };
      return m.bid_id ? { screen: "record", kind: "bid", id: m.bid_id } : { screen: "projects" };
    }
    case "activity": {
      const note = await api.activities.get(subject.id);
      return subjectRoute({ kind: note.subject_kind, id: note.subject_id });
    }
    case "task":
      return { screen: "tasks" };
  }
}

/** Opens the page that shows the record. */
export function openSubject(subject: Subject): void {
  subjectRoute(subject).then(go, (raw) => notify(`Could not open it: ${api.describe(api.asApiError(raw))}`, { tone: "error" }));
}

/** "About Ana Lima" as a link to the record. */
export function SubjectLink({ subject, bare }: { subject: Subject; bare?: boolean }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void subjectName(subject.kind, subject.id).then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [subject.kind, subject.id]);
  return (
    <button type="button" class="link small" onClick={() => openSubject(subject)} data-testid="task-about">
      {bare ? "" : `${KIND_LABEL[subject.kind]}: `}
      {name ?? "…"}
    </button>
  );
}

/** Finds a record by search to link a task to; shows the chosen one with a way to clear it. */
export function SubjectPicker(props: { value: Subject | null; onChange: (s: Subject | null) => void; error?: string }) {
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  useEffect(() => {
    if (query.trim().length < 2) {
      setHits([]);
      return;
    }
    let live = true;
    void api
      .search(query, 8)
      .then((found) => live && setHits(found.filter((h) => ABOUT_KINDS.has(h.kind))))
      .catch(() => live && setHits([]));
    return () => {
      live = false;
    };
  }, [query]);

  if (props.value) {
    return (
      <div class="field">
        <span class="label">About</span>
        <span>
          <SubjectLink subject={props.value} />{" "}
          <button type="button" class="small" onClick={() => props.onChange(null)} aria-label="Not about a record">
            ×
          </button>
        </span>
      </div>
    );
  }
  return (
    <div class={`field${props.error ? " field-invalid" : ""}`}>
      <label for="field-task-about">About</label>
      <input
        id="field-task-about"
        type="search"
        value={query}
        placeholder="Optional: a client, job, bid…"
        autocomplete="off"
        aria-invalid={props.error ? true : undefined}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      {hits.length > 0 && (
        <ul class="picker" aria-label="Records found">
          {hits.map((hit) => (
            <li key={hit.id}>
              <button type="button" class="link" onClick={() => props.onChange({ kind: hit.kind, id: hit.id })}>
                {KIND_LABEL[hit.kind]}: {hit.title}
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.error && (
        <p class="field-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
