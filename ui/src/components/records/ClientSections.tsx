// The sections of a client's page: contacts, projects, and the bids on its
// jobs (its projects' milestones are Milestones.tsx's, the timeline
// Timeline.tsx's). Each shows only the few rows of its list's first page
// (clientLists.ts), which the page reads with all the others in one call: a
// key account's hundreds of records are neither readable at a glance nor
// cheap to draw. Its "Show more" reads more with the list's own call, never
// once per project or job, so every record stays reachable.
import { useEffect, useState } from "preact/hooks";
import * as api from "../../api";
import type { Bid } from "../../bindings/Bid";
import type { Contact } from "../../bindings/Contact";
import type { EntityKind } from "../../bindings/EntityKind";
import type { Id } from "../../bindings/Id";
import type { Page } from "../../bindings/Page";
import type { Project } from "../../bindings/Project";
import type { ProjectStatus } from "../../bindings/ProjectStatus";
import { go, notify } from "../../state";
import { labelOf, PROJECT_STATUSES, RATE_TYPES } from "./labels";
import { formatMoney } from "../../money";
import { usePaged, useShowMore } from "./usePaged";
import { CLIENT_LISTS } from "./clientLists";
import { ContactForm, ProjectForm } from "./forms";
import { dateText } from "../../dates";

/** Splits a core error into field errors for a form; unknown fields go to "form". */
export function errorsFrom(raw: unknown, fields: string[]): Record<string, string> {
  const err = api.asApiError(raw);
  if (err.code === "validation") return api.formErrors(err, (field) => (fields.includes(field) ? field : undefined));
  return { form: `Could not save (${err.code}): ${api.describe(err)}` };
}

export function FormError({ errors }: { errors: Record<string, string> }) {
  return errors["form"] ? (
    <p class="form-error" role="alert">
      {errors["form"]}
    </p>
  ) : null;
}

export function ListState({ loading, error, count, empty }: { loading: boolean; error: api.ApiError | null; count: number; empty: string }) {
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

/** Soft-deletes a record and offers undo; `after` runs once it is deleted (a list refreshes, a page leaves) and `restored` once undone (by default `after` again). */
export async function removeWithUndo(kind: EntityKind, id: Id, what: string, after: () => void, restored: () => void = after) {
  try {
    await api.remove(kind, id);
    after();
    notify(`${what} deleted`, {
      undo: async () => {
        try {
          await api.restore(kind, id);
          restored();
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

// ---- Contacts ----------------------------------------------------------

/** The client's contacts by name: the first few (`firstPage`, read with the page), then more. */
export function ContactsSection({ clientId, firstPage }: { clientId: Id; firstPage?: Page<Contact> }) {
  const { first, sort } = CLIENT_LISTS.contacts;
  const list = usePaged<Contact>((limit, after) => api.contacts.list({ client_id: clientId }, api.page(limit, after, sort)), [clientId], first, firstPage);
  const showMore = useShowMore(list, "client-contacts");
  const [adding, setAdding] = useState(false);
  function done() {
    setAdding(false);
    setTimeout(() => document.getElementById("add-contact")?.focus());
  }

  return (
    <section class="section" aria-labelledby="contacts-title">
      <header>
        <h2 id="contacts-title">Contacts</h2>
        {!adding && <button id="add-contact" onClick={() => setAdding(true)}>Add contact</button>}
      </header>
      {adding && (
        <ContactForm
          clientId={clientId}
          onSaved={() => {
            done();
            list.reload();
          }}
          onCancel={done}
        />
      )}
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No contacts yet." />
      <ul class="items" aria-label="Contacts" data-list="client-contacts">
        {list.items.map((c) => (
          <li key={c.id}>
            <span class="grow">
              <button class="link strong" onClick={() => go({ screen: "record", kind: "contact", id: c.id })}>
                {c.name}
              </button>
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
        <button class="link" onClick={showMore}>
          Show more contacts
        </button>
      )}
    </section>
  );
}

// ---- Projects ----------------------------------------------------------

/** The client's projects, newest first: the first few (`firstPage`), then more; `onChanged` hears which are shown (the milestones follow them). */
export function ProjectsSection({ clientId, firstPage, onChanged }: { clientId: Id; firstPage?: Page<Project>; onChanged: (projects: Project[]) => void }) {
  const { first, sort } = CLIENT_LISTS.projects;
  const list = usePaged<Project>((limit, after) => api.projects.list({ client_id: clientId }, api.page(limit, after, sort)), [clientId], first, firstPage);
  const showMore = useShowMore(list, "client-projects");
  const [adding, setAdding] = useState(false);

  useEffect(() => onChanged(list.items), [list.items]);
  function done() {
    setAdding(false);
    setTimeout(() => document.getElementById("add-project")?.focus());
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
        <ProjectForm
          clientId={clientId}
          onSaved={() => {
            done();
            list.reload();
          }}
          onCancel={done}
        />
      )}
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No projects yet." />
      <ul class="items" aria-label="Projects" data-list="client-projects">
        {list.items.map((p) => (
          <li key={p.id}>
            <span class="grow">
              <button class="link strong" onClick={() => go({ screen: "record", kind: "project", id: p.id })}>
                {p.name}
              </button>
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
        <button class="link" onClick={showMore}>
          Show more projects
        </button>
      )}
    </section>
  );
}

// ---- Bids ----------------------------------------------------------------

/**
 * The bids on the client's jobs, newest first (`firstPage`, then more): one
 * request a page for all of its jobs, keyed by the client alone, so nothing
 * here asks again when another section (the projects) changes. Its
 * projects' milestones are Milestones.tsx's ClientMilestones.
 */
export function BidsSection({ clientId, firstPage }: { clientId: Id; firstPage?: Page<Bid> }) {
  const { first, sort } = CLIENT_LISTS.bids;
  const list = usePaged<Bid>((limit, after) => api.bids.onClientJobs(clientId, api.page(limit, after, sort)), [clientId], first, firstPage);
  const showMore = useShowMore(list, "client-bids");

  return (
    <section class="section" aria-labelledby="client-bids-title">
      <header>
        <h2 id="client-bids-title">Bids</h2>
      </header>
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="No bids on this client’s jobs." />
      {list.items.length > 0 && (
        <ul class="items" aria-label="Bids" data-list="client-bids">
          {list.items.map((bid) => (
            <li key={bid.id}>
              <span class="grow">
                <button class="link" onClick={() => go({ screen: "record", kind: "bid", id: bid.id })}>
                  {bid.job_title ?? "(job removed)"}
                </button>
                <br />
                <span class="sub">
                  {bid.delivery_days} days · {bid.submitted_at ? `sent ${dateText(bid.submitted_at)}` : "not sent"}
                </span>
              </span>
              <span class="money">{formatMoney(bid.amount_minor, bid.currency)}</span>
              <span class="pill">{bid.status}</span>
            </li>
          ))}
        </ul>
      )}
      {list.hasMore && (
        <button class="link" onClick={showMore}>
          Show more bids
        </button>
      )}
    </section>
  );
}
