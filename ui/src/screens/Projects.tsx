// All projects, filterable by status, tag and custom field; each row shows its client (the core
// reads each project with its client's name), status (changeable in place)
// and budget. Enter or click opens the project's page; back from it, the
// list is as it was left.
import { useState } from "preact/hooks";
import * as api from "../api";
import type { Id } from "../bindings/Id";
import type { Project } from "../bindings/Project";
import type { ProjectFilter } from "../bindings/ProjectFilter";
import type { ProjectStatus } from "../bindings/ProjectStatus";
import { labelOf, PROJECT_STATUSES, RATE_TYPES } from "../components/records/labels";
import { formatMoney } from "../money";
import { VirtualList } from "../components/VirtualList";
import { useListFilters } from "../components/records/ListFilters";
import { useKept } from "../places";
import { go, notify } from "../state";
import "./records.css";

/** The core reads each project with its client's name; none once the client is deleted. */
function clientOf(p: Project): string {
  return p.client_name ?? "(deleted client)";
}

export function Projects() {
  const [status, setStatus] = useKept<ProjectStatus | "">("projects.status", "");
  const [reload, setReload] = useState(0);
  // Status changes made here, shown until the list is reloaded.
  const [changed, setChanged] = useState<Record<Id, ProjectStatus>>({});

  const extras = useListFilters("project");
  const filter: ProjectFilter = { ...extras.filter };
  if (status) filter.status = status;

  async function changeStatus(p: Project, next: ProjectStatus) {
    const before = changed[p.id] ?? p.status;
    setChanged((c) => ({ ...c, [p.id]: next }));
    try {
      await api.projects.update(p.id, { status: next });
      notify(`${p.name}: ${labelOf(PROJECT_STATUSES, next)}`);
    } catch (raw) {
      const err = api.asApiError(raw);
      setChanged((c) => ({ ...c, [p.id]: before }));
      notify(
        err.code === "invalid_transition"
          ? `Cannot move ${p.name} to ${labelOf(PROJECT_STATUSES, next)}: ${api.describe(err)}`
          : `Could not change the status (${err.code}): ${api.describe(err)}`,
        { tone: "error" },
      );
    }
  }

  return (
    <div class="records-screen">
      <div class="toolbar list-toolbar">
        <h1>Projects</h1>
        {extras.controls}
        <label class="check" for="projects-status-filter">
          Status
        </label>
        <select
          id="projects-status-filter"
          class="inline-select"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value as ProjectStatus | "");
            setChanged({});
          }}
        >
          <option value="">All</option>
          {PROJECT_STATUSES.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        <button
          onClick={() => {
            setChanged({});
            setReload((n) => n + 1);
          }}
        >
          Refresh
        </button>
      </div>
      <VirtualList<Project>
        label={status ? `${labelOf(PROJECT_STATUSES, status)} projects` : "Projects"}
        rowHeight={48}
        reloadKey={`${reload}|${status}|${extras.key}`}
        place={{ name: "projects", filter: `${status}|${extras.key}` }}
        fetchPage={(after, limit) => api.projects.list(filter, api.page(limit, after, "newest"))}
        keyOf={(p) => p.id}
        labelOf={(p) => `${p.name}, ${clientOf(p)}, ${labelOf(PROJECT_STATUSES, changed[p.id] ?? p.status)}, ${formatMoney(p.budget_minor, p.currency)}`}
        onOpen={(p) => go({ screen: "record", kind: "project", id: p.id })}
        header={
          <div class="cols projects">
            <span>Project</span>
            <span>Client</span>
            <span>Status</span>
            <span class="money">Budget</span>
          </div>
        }
        renderRow={(p, _index, selected) => (
          <div class="cols projects">
            <span class="name">{p.name}</span>
            <span class={p.client_name == null ? "muted" : ""}>{clientOf(p)}</span>
            <span class="control-cell">
              <select
                class="inline-select"
                aria-label={`Status of ${p.name}`}
                value={changed[p.id] ?? p.status}
                tabIndex={selected ? 0 : -1}
                onChange={(e) => void changeStatus(p, e.currentTarget.value as ProjectStatus)}
              >
                {PROJECT_STATUSES.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </span>
            <span class="money" title={labelOf(RATE_TYPES, p.rate_type)}>
              {formatMoney(p.budget_minor, p.currency)}
            </span>
          </div>
        )}
        empty={
          status || extras.active ? (
            <p>
              No {status ? `${labelOf(PROJECT_STATUSES, status).toLowerCase()} ` : ""}projects{extras.said}. Choose “All” and clear the filters to see every project.
            </p>
          ) : (
            <p>No projects yet. Open a client and add a project from its page.</p>
          )
        }
      />
    </div>
  );
}
