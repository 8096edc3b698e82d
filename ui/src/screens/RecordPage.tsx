// The page of a contact, a project, a job or a bid (a client has its own,
// ClientDetail): its fields with tags and custom values, edit (E), delete
// with undo, follow up, the records it links to, and its timeline (N writes
// a note). Esc and "←" go back to where the page was opened from, or else
// to where the record lives (state.ts, `goBack`).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Bid } from "../bindings/Bid";
import type { Contact } from "../bindings/Contact";
import type { Id } from "../bindings/Id";
import type { Job } from "../bindings/Job";
import type { Project } from "../bindings/Project";
import { FollowUp } from "../components/FollowUp";
import { SubjectLink } from "../components/Subjects";
import { ListState, removeWithUndo } from "../components/records/ClientSections";
import { Facts, type Fact } from "../components/records/Facts";
import { BidTermsForm, ContactForm, JobForm, ProjectForm } from "../components/records/forms";
import { isTyping, labelOf, PROJECT_STATUSES, RATE_TYPES } from "../components/records/labels";
import { MilestonesSection } from "../components/records/Milestones";
import { Timeline } from "../components/records/Timeline";
import { usePaged, useShowMore } from "../components/records/usePaged";
import { formatMoney } from "../money";
import { dateTimeText } from "../dates";
import { go, goBack, notify, type PageKind, type Route } from "../state";
import { BackLink } from "../components/BackLink";
import "./records.css";

type Loaded = { kind: "contact"; record: Contact } | { kind: "project"; record: Project } | { kind: "job"; record: Job } | { kind: "bid"; record: Bid };

const NOUN: Record<PageKind, string> = { contact: "contact", project: "project", job: "job", bid: "bid" };

async function load(kind: PageKind, id: Id): Promise<Loaded> {
  switch (kind) {
    case "contact":
      return { kind, record: await api.contacts.get(id) };
    case "project":
      return { kind, record: await api.projects.get(id) };
    case "job":
      return { kind, record: await api.jobs.get(id) };
    case "bid":
      return { kind, record: await api.bids.get(id) };
  }
}

function titleOf(page: Loaded): string {
  switch (page.kind) {
    case "contact":
    case "project":
      return page.record.name;
    case "job":
      return page.record.title;
    case "bid":
      return `Bid on ${page.record.job_title ?? "a removed job"}`;
  }
}

/** Where the record lives: Esc and "←" go there when the page was not opened from elsewhere (`goBack`). */
function homeOf(page: Loaded | null, kind: PageKind): Route {
  if (page?.kind === "contact") return { screen: "client", id: page.record.client_id };
  if (kind === "job") return { screen: "jobs" };
  if (kind === "bid") return { screen: "bids" };
  return { screen: "projects" };
}

function facts(page: Loaded): Fact[] {
  const extras = (r: { tags?: string[]; fields?: Record<string, string> }): Fact[] => [
    ["Tags", (r.tags ?? []).join(", ") || null],
    ...Object.entries(r.fields ?? {}),
  ];
  switch (page.kind) {
    case "contact": {
      const c = page.record;
      return [["Client", <SubjectLink bare subject={{ kind: "client", id: c.client_id }} />], ["Role", c.role], ["Email", c.email], ["Phone", c.phone], ...extras(c), ["Notes", c.notes || null]];
    }
    case "project": {
      const p = page.record;
      return [
        ["Client", <SubjectLink bare subject={{ kind: "client", id: p.client_id }} />],
        ["Status", labelOf(PROJECT_STATUSES, p.status)],
        ["Rate type", labelOf(RATE_TYPES, p.rate_type)],
        ["Budget", p.budget_minor !== null ? formatMoney(p.budget_minor, p.currency) : null],
        ["Starts", p.start_date],
        ["Due", p.due_date],
        ...extras(p),
        ["Description", p.description || null],
      ];
    }
    case "job": {
      const j = page.record;
      const budget = j.currency && (j.budget_min_minor !== null || j.budget_max_minor !== null) ? [j.budget_min_minor, j.budget_max_minor].filter((m) => m !== null).map((m) => formatMoney(m, j.currency)).join(" – ") : null;
      return [
        ["Client", j.client_id ? <SubjectLink bare subject={{ kind: "client", id: j.client_id }} /> : null],
        ["Marketplace", j.external_id ? `${j.market_status ?? "synced"}` : null],
        ["Budget", budget ? `${budget} (${labelOf(RATE_TYPES, j.budget_kind)})` : null],
        ["Employer", j.employer_name],
        ["Skills", j.skills.join(", ") || null],
        ["Link", j.url],
        ...extras(j),
        ["Description", j.description || null],
        ["My notes", j.my_notes || null],
      ];
    }
    case "bid": {
      const b = page.record;
      return [
        ["Job", <SubjectLink bare subject={{ kind: "job", id: b.job_id }} />],
        ["Project", b.project_id ? <SubjectLink bare subject={{ kind: "project", id: b.project_id }} /> : null],
        ["Status", b.status],
        ["Amount", formatMoney(b.amount_minor, b.currency)],
        ["Delivery", `${b.delivery_days} days`],
        ["First milestone", `${b.milestone_percentage} %`],
        ["Sent", b.submitted_at ? dateTimeText(b.submitted_at) : null],
        ...extras(b),
        ["Proposal", b.proposal || null],
      ];
    }
  }
}

export function RecordPage({ kind, id }: { kind: PageKind; id: Id }) {
  const [page, setPage] = useState<Loaded | null>(null);
  const [error, setError] = useState<api.ApiError | null>(null);
  const [editing, setEditing] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const home = homeOf(page, kind);

  useReadEffect(() => {
    let live = true;
    setPage(null);
    setError(null);
    setEditing(false);
    load(kind, id)
      .then((loaded) => {
        if (!live) return;
        setPage(loaded);
      })
      .catch((raw) => live && setError(api.asApiError(raw)));
    return () => {
      live = false;
    };
  }, [kind, id]);

  // The title takes the focus as the page is drawn (see ClientDetail).
  const shown = page !== null;
  useLayoutEffect(() => {
    if (shown) heading.current?.focus();
  }, [shown]);

  // Keyed on the route's kind and id, not on home: homeOf builds a new
  // object each render, which swapped the listener on every render; home
  // follows from page and kind.
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e) || editing) return;
      if (e.key === "e" && page) {
        e.preventDefault();
        setEditing(true);
      } else if (e.key === "n" && page) {
        e.preventDefault();
        document.getElementById("field-activity-body")?.focus();
      } else if (e.key === "Escape") {
        goBack(home);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [page, editing, kind, id]);

  if (error) {
    return (
      <div>
        <BackLink home={home} />
        <p class="form-error" role="alert">
          {error.code === "not_found" ? `This ${NOUN[kind]} does not exist (it may have been deleted).` : `Could not load the ${NOUN[kind]} (${error.code}): ${api.describe(error)}`}
        </p>
      </div>
    );
  }
  if (!page) return <p class="muted" aria-busy="true">Loading…</p>;
  const title = titleOf(page);
  const current = page;

  function saved(next: Loaded) {
    setPage(next);
    setEditing(false);
    notify("Changes saved");
    heading.current?.focus();
  }
  const cancel = () => {
    setEditing(false);
    heading.current?.focus();
  };

  function form() {
    switch (current.kind) {
      case "contact":
        return <ContactForm contact={current.record} onSaved={(record) => saved({ kind: "contact", record })} onCancel={cancel} />;
      case "project":
        return <ProjectForm project={current.record} onSaved={(record) => saved({ kind: "project", record })} onCancel={cancel} />;
      case "job":
        return <JobForm job={current.record} onSaved={(record) => saved({ kind: "job", record })} onCancel={cancel} />;
      case "bid":
        return <BidTermsForm bid={current.record} onSaved={(record) => saved({ kind: "bid", record })} onCancel={cancel} />;
    }
  }

  function remove() {
    const what = `${NOUN[current.kind][0]!.toUpperCase()}${NOUN[current.kind].slice(1)} ${title}`;
    const { kind, id } = { kind: current.kind, id: current.record.id };
    void removeWithUndo(kind, id, what, () => goBack(home), () => go(route(kind, id)));
  }

  const subject = { kind: current.kind, id: current.record.id };
  const canFollowUp = current.kind === "job" || current.kind === "bid";

  return (
    <div>
      <BackLink home={home} />
      <div class="detail-header">
        <div>
          <p class="muted kind-label">{NOUN[current.kind][0]!.toUpperCase() + NOUN[current.kind].slice(1)}</p>
          <h1 ref={heading} tabIndex={-1}>
            {title}
            {current.kind === "bid" && <span class="badge">{current.record.status}</span>}
          </h1>
        </div>
        <div class="actions" role="toolbar" aria-label={`${NOUN[current.kind]} actions`}>
          <button onClick={() => setEditing(true)} disabled={editing} aria-keyshortcuts="E">
            Edit <kbd>E</kbd>
          </button>
          {canFollowUp && <FollowUp subject={subject} what={title} />}
          <button class="danger" onClick={remove}>
            Delete
          </button>
        </div>
      </div>
      {editing ? (
        form()
      ) : (
        <Facts facts={facts(current)} />
      )}
      <div class="detail-sections">
        {current.kind === "project" && <MilestonesSection owner={{ project: current.record }} />}
        {current.kind === "bid" && <MilestonesSection owner={{ bid: current.record }} />}
        {current.kind === "job" && <BidsOnJob jobId={current.record.id} />}
        <Timeline subject={subject} />
      </div>
    </div>
  );
}

/** The page of a record, as a route. */
export function route(kind: PageKind, id: Id): Route {
  return { screen: "record", kind, id };
}

/** Bids a job's page shows before "Show more": about a screenful. */
export const BIDS_ON_JOB_AT_FIRST = 20;

/** A job's bids, newest first: the first few, then "Show more" (a posting can draw hundreds). */
function BidsOnJob({ jobId }: { jobId: Id }) {
  const list = usePaged<Bid>((limit, after) => api.bids.list({ job_id: jobId }, api.page(limit, after, "newest")), [jobId], BIDS_ON_JOB_AT_FIRST);
  const showMore = useShowMore(list, "job-bids");
  return (
    <section class="section" aria-labelledby="job-bids-title">
      <header>
        <h2 id="job-bids-title">Bids</h2>
      </header>
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No bid on this job yet (Jobs → Bid on this job)." />
      <ul class="items" aria-label="Bids on this job" data-list="job-bids">
        {list.items.map((b) => (
          <li key={b.id}>
            <span class="grow">
              <button class="link" onClick={() => go(route("bid", b.id))}>
                {formatMoney(b.amount_minor, b.currency)} · {b.delivery_days} days
              </button>
            </span>
            <span class="pill">{b.status}</span>
          </li>
        ))}
      </ul>
      {list.hasMore && (
        <button class="link" onClick={showMore}>
          Show more bids
        </button>
      )}
    </section>
  );
}

