// Clients: filter by tag or by a custom field's value, show archived ones,
// add a client (N), and a virtualized list sorted by name; Enter or click
// opens the client. Back from a client, the list is as it was left.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import type { Client } from "../bindings/Client";
import type { ClientFilter } from "../bindings/ClientFilter";
import { ClientForm } from "../components/records/ClientForm";
import { useListFilters } from "../components/records/ListFilters";
import { isTyping } from "../components/records/labels";
import { VirtualList } from "../components/VirtualList";
import { begin } from "../perf";
import { useKept } from "../places";
import { go, notify } from "../state";
import "./records.css";

export function Clients() {
  const extras = useListFilters("client");
  const [archived, setArchived] = useKept("clients.archived", false);
  const [adding, setAdding] = useState(false);
  const [reload, setReload] = useState(0);
  const newButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e)) return;
      if (e.key === "n" || e.key === "N") {
        e.preventDefault();
        setAdding(true);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const filter: ClientFilter = { archived, ...extras.filter };
  const filtered = archived || extras.active;

  return (
    <div class="records-screen">
      <div class="toolbar list-toolbar">
        <h1>Clients</h1>
        {extras.controls}
        <label class="check">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} />
          Archived
        </label>
        <button ref={newButton} class="primary" onClick={() => setAdding(true)} aria-keyshortcuts="N">
          New client <kbd>N</kbd>
        </button>
      </div>
      {adding && (
        <ClientForm
          onSaved={(client) => {
            setAdding(false);
            setReload((n) => n + 1);
            notify(`Added ${client.name}`);
          }}
          onCancel={() => {
            setAdding(false);
            newButton.current?.focus();
          }}
        />
      )}
      <VirtualList<Client>
        label={archived ? "Archived clients" : "Clients"}
        rowHeight={48}
        reloadKey={`${reload}|${archived}|${extras.key}`}
        place={{ name: "clients", filter: `${archived}|${extras.key}` }}
        fetchPage={(after, limit) => api.clients.list(filter, api.page(limit, after, "name"))}
        keyOf={(c) => c.id}
        labelOf={(c) => [c.name, c.company, c.email].filter(Boolean).join(", ")}
        onOpen={(c) => {
          begin("client");
          go({ screen: "client", id: c.id });
        }}
        header={
          <div class="cols">
            <span>Name</span>
            <span>Company</span>
            <span>Email</span>
            <span>Tags</span>
          </div>
        }
        renderRow={(c) => (
          <div class="cols">
            <span class="name">
              {c.name}
              {c.restricted && <span class="badge">restricted</span>}
              {c.archived_at && <span class="badge">archived</span>}
            </span>
            <span>{c.company ?? ""}</span>
            <span>{c.email ?? ""}</span>
            <span class="tags">
              {c.tags.map((t) => (
                <span class="tag" key={t}>
                  {t}
                </span>
              ))}
            </span>
          </div>
        )}
        empty={
          filtered ? (
            <p>
              No {archived ? "archived " : ""}clients{extras.said}.{" "}
              {extras.active ? "Check the spelling or clear the filter." : "Clients you archive show up here."}
            </p>
          ) : (
            <p>No clients yet. Add your first client with N or the button above.</p>
          )
        }
      />
    </div>
  );
}
