// What a task is about: a record's name (read once per record and kept; the
// links drawn together ask in one call), the place in the app that shows it,
// and a picker that finds one by search.
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
/** The names read so far: a link drawn after its name was read shows it in its first render. */
const known = new Map<string, string>();

/** The most names one call reads (the core's MAX_SUBJECT_NAMES). */
const NAMES_PER_CALL = 1000;

interface Asked {
  subject: Subject;
  resolve: (name: string) => void;
  reject: (err: unknown) => void;
}

/** Names asked for since the last call went out: the links drawn in one go. */
let asked: Asked[] = [];

/** How a link names a record, from what the core read of it (undefined: no such record). */
function shownName(kind: EntityKind, name: string | null | undefined): string {
  if (name === undefined) return `${KIND_LABEL[kind]} (removed)`;
  return kind === "bid" ? `Bid on ${name ?? "a removed job"}` : (name ?? KIND_LABEL[kind]);
}

/** Sends every name asked for meanwhile, in as few calls as the core takes. */
async function readAsked(): Promise<void> {
  const batch = asked;
  asked = [];
  for (let start = 0; start < batch.length; start += NAMES_PER_CALL) {
    const chunk = batch.slice(start, start + NAMES_PER_CALL);
    try {
      const found = await api.subjectNames(chunk.map((a) => a.subject));
      const byKey = new Map(found.map((n) => [`${n.kind}:${n.id}`, n.name]));
      for (const a of chunk) a.resolve(shownName(a.subject.kind, byKey.get(`${a.subject.kind}:${a.subject.id}`)));
    } catch (err) {
      for (const a of chunk) a.reject(err);
    }
  }
}

function readName(kind: EntityKind, id: Id): Promise<string> {
  // Notes and tasks are named by their kind.
  if (kind === "activity" || kind === "task") return Promise.resolve(KIND_LABEL[kind]);
  return new Promise((resolve, reject) => {
    // The links drawn in one render ask within the same moment: one call for all of them.
    if (asked.length === 0) queueMicrotask(() => void readAsked());
    asked.push({ subject: { kind, id }, resolve, reject });
  });
}

/** A record's name, read once per record while the window is open; records asked for together are read in one call. */
export function subjectName(kind: EntityKind, id: Id): Promise<string> {
  const key = `${kind}:${id}`;
  let name = names.get(key);
  if (!name) {
    name = readName(kind, id);
    names.set(key, name);
    // A failed read is asked again by the next link that shows the record.
    name.then(
      (n) => void known.set(key, n),
      () => names.delete(key),
    );
  }
  return name;
}

/**
 * Reads the names of `subjects` (in one call for those not read yet) and
 * settles when they are known, or failed: a list that waits for this before
 * it draws shows its links named at once, without a second render.
 */
export async function readSubjectNames(subjects: Subject[]): Promise<void> {
  await Promise.allSettled(subjects.map((s) => subjectName(s.kind, s.id)));
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
  const read = known.get(`${subject.kind}:${subject.id}`);
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    if (read !== undefined) return;
    let live = true;
    subjectName(subject.kind, subject.id).then(
      (n) => live && setName(n),
      () => live && setName("(name not read)"),
    );
    return () => {
      live = false;
    };
  }, [subject.kind, subject.id, read]);
  return (
    <button type="button" class="link small" onClick={() => openSubject(subject)} data-testid="task-about">
      {bare ? "" : `${KIND_LABEL[subject.kind]}: `}
      {read ?? name ?? "…"}
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
