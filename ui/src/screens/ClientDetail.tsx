// One client: its fields (edit, archive, restrict, delete with undo, erase),
// then contacts, projects, the bids on its jobs, each shown project's
// milestones (with their escrow moves, as on the project's page), a timeline
// and the client's consents. The client and the first few rows of each list
// come in one call (`client_page`, clientLists.ts), drawn together; each
// list reads more on request (ClientSections.tsx), so a key account's page
// draws about as much as a small client's.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Client } from "../bindings/Client";
import type { ClientPage } from "../bindings/ClientPage";
import type { ClientPatch } from "../bindings/ClientPatch";
import type { Id } from "../bindings/Id";
import type { Project } from "../bindings/Project";
import { ClientForm } from "../components/records/ClientForm";
import { Facts, type Fact } from "../components/records/Facts";
import { ClientConsents, ClientExport, EraseClient } from "../components/records/ClientPrivacy";
import { BidsSection, ContactsSection, ProjectsSection } from "../components/records/ClientSections";
import { ClientMilestones } from "../components/records/Milestones";
import { CLIENT_LISTS, clientPageRequest } from "../components/records/clientLists";
import { Timeline } from "../components/records/Timeline";
import { CLIENT_KINDS, isTyping, labelOf } from "../components/records/labels";
import { go, goBack, notify, type Route } from "../state";
import { BackLink } from "../components/BackLink";
import { begin, eventTime } from "../perf";
import { FollowUp } from "../components/FollowUp";
import "./records.css";

/** Where a client lives: Esc and "←" go there when its page was not opened from elsewhere. */
const CLIENTS: Route = { screen: "clients" };

export function ClientDetail({ id }: { id: Id }) {
  const [client, setClient] = useState<Client | null>(null);
  // The first page of each list, read with the client.
  const [lists, setLists] = useState<ClientPage | null>(null);
  const [error, setError] = useState<api.ApiError | null>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [erasing, setErasing] = useState(false);
  const [projects, setProjects] = useState<Project[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);

  useReadEffect(() => {
    let live = true;
    setClient(null);
    setLists(null);
    setError(null);
    setEditing(false);
    setErasing(false);
    api.clients
      .page(id, clientPageRequest())
      .then((page) => {
        if (!live) return;
        setClient(page.client);
        setLists(page);
        // The same array the projects section shows: its report of them changes nothing.
        setProjects(page.projects.items);
      })
      .catch((raw) => live && setError(api.asApiError(raw)));
    return () => {
      live = false;
    };
  }, [id]);

  // The name takes the focus as the page is drawn: the row that opened it is
  // gone, and a keyboard should start from the top of what it opened. Before
  // the paint, so nothing typed after the page appears can lose the focus.
  const shown = client !== null && lists !== null ? client.id : null;
  useLayoutEffect(() => {
    if (shown !== null) heading.current?.focus();
  }, [shown]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e)) return;
      if (e.key === "e" && client && !editing) {
        e.preventDefault();
        setEditing(true);
      } else if (e.key === "Escape" && !editing) {
        begin("back", eventTime(e));
        goBack(CLIENTS);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [client, editing]);

  if (error) {
    return (
      <div>
        <BackLink home={CLIENTS} />
        <p class="form-error" role="alert">
          {error.code === "not_found" ? "This client does not exist (it may have been deleted)." : `Could not load the client (${error.code}): ${api.describe(error)}`}
        </p>
      </div>
    );
  }
  if (!client || !lists) return <p class="muted" aria-busy="true">Loading…</p>;
  const current = client;

  async function patch(change: ClientPatch, done: string) {
    setBusy(true);
    try {
      setClient(await api.clients.update(current.id, change));
      notify(done);
    } catch (raw) {
      const err = api.asApiError(raw);
      notify(`Could not update (${err.code}): ${api.describe(err)}`, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await api.remove("client", current.id);
      notify("Client deleted", {
        undo: async () => {
          try {
            await api.restore("client", current.id);
            go({ screen: "client", id: current.id });
          } catch (raw) {
            notify(`Could not restore: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
          }
        },
      });
      go({ screen: "clients" });
    } catch (raw) {
      const err = api.asApiError(raw);
      notify(`Could not delete (${err.code}): ${api.describe(err)}`, { tone: "error" });
      setBusy(false);
    }
  }

  const facts: Fact[] = [
    ["Kind", labelOf(CLIENT_KINDS, current.kind)],
    ["Company", current.company],
    ["Email", current.email],
    ["Phone", current.phone],
    ["Website", current.website],
    ["Country", current.country],
    ["Tags", current.tags.join(", ") || null],
    ...Object.entries(current.fields ?? {}),
    ["Notes", current.notes || null],
  ];

  return (
    <div>
      <BackLink home={CLIENTS} />
      <div class="detail-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            {current.name}
            {current.archived_at && <span class="badge">archived</span>}
            {current.restricted && <span class="badge">restricted</span>}
          </h1>
          {current.source && <p class="muted">Imported from {current.source}</p>}
        </div>
        <div class="actions" role="toolbar" aria-label="Client actions">
          <button onClick={() => setEditing(true)} disabled={editing || busy} aria-keyshortcuts="E">
            Edit <kbd>E</kbd>
          </button>
          <button
            disabled={busy}
            aria-pressed={current.archived_at !== null}
            onClick={() => void patch({ archived: current.archived_at === null }, current.archived_at === null ? "Client archived" : "Client unarchived")}
          >
            {current.archived_at ? "Unarchive" : "Archive"}
          </button>
          <button
            disabled={busy}
            aria-pressed={current.restricted}
            title="A restricted client is kept, but left out of marketplace sync, analytics and search suggestions"
            onClick={() => void patch({ restricted: !current.restricted }, current.restricted ? "Client no longer restricted" : "Client restricted")}
          >
            {current.restricted ? "Unrestrict" : "Restrict"}
          </button>
          <FollowUp subject={{ kind: "client", id: current.id }} what={current.name} />
          <button class="danger" disabled={busy} onClick={() => void remove()}>
            Delete
          </button>
          <button class="danger" disabled={busy || erasing} onClick={() => setErasing(true)}>
            Erase…
          </button>
        </div>
      </div>
      {erasing && <EraseClient clientId={current.id} name={current.name} onCancel={() => setErasing(false)} />}
      {editing ? (
        <ClientForm
          client={current}
          onSaved={(saved) => {
            setClient(saved);
            setEditing(false);
            notify("Changes saved");
            heading.current?.focus();
          }}
          onCancel={() => {
            setEditing(false);
            heading.current?.focus();
          }}
        />
      ) : (
        <Facts facts={facts} />
      )}
      <div class="detail-sections">
        <ContactsSection clientId={current.id} firstPage={lists.contacts} />
        <ProjectsSection clientId={current.id} firstPage={lists.projects} onChanged={setProjects} />
        <BidsSection clientId={current.id} firstPage={lists.bids} />
        <ClientMilestones clientId={current.id} projects={projects} firstPage={lists.milestones} />
        <Timeline subject={{ kind: "client", id: current.id }} first={CLIENT_LISTS.timeline.first} firstPage={lists.timeline} />
        <ClientConsents clientId={current.id} given={lists.consents} />
        <ClientExport clientId={current.id} name={current.name} />
      </div>
    </div>
  );
}
