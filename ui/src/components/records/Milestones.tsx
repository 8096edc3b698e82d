// The milestones of a project or a bid: add one to a project of yours, edit
// it, move it through escrow (fund, release, refund, dispute: the moves the
// core allows, from RecordRules.ts), delete it with undo. A milestone the
// marketplace holds is shown read-only with why; it changes with sync.
// A project's and a bid's page show one owner's (MilestonesSection); a
// client's page shows those of each project it shows (ClientMilestones),
// with the same rows and moves, all of them read with one request for the
// client.
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import * as api from "../../api";
import type { Bid } from "../../bindings/Bid";
import type { Id } from "../../bindings/Id";
import type { Milestone } from "../../bindings/Milestone";
import type { Page } from "../../bindings/Page";
import type { MilestoneStatus } from "../../bindings/MilestoneStatus";
import type { Project } from "../../bindings/Project";
import { MILESTONE_MOVES, MILESTONE_REASON } from "../../bindings/RecordRules";
import { formatMoney } from "../../money";
import { go, notify } from "../../state";
import { ListState, removeWithUndo } from "./ClientSections";
import { MilestoneForm } from "./forms";
import { usePaged, useShowMore, type Paged } from "./usePaged";
import { CLIENT_LISTS } from "./clientLists";

/** The button that makes each move, in words. */
const MOVE_LABEL: Record<MilestoneStatus, string> = {
  pending: "Back to pending",
  funded: "Fund",
  released: "Release",
  refunded: "Refund",
  disputed: "Dispute",
};

type Owner = { project: Project } | { bid: Bid };

/** The milestones of a project's or a bid's page. */
export function MilestonesSection({ owner }: { owner: Owner }) {
  const filter = "project" in owner ? { project_id: owner.project.id } : { bid_id: owner.bid.id };
  const ownerId = "project" in owner ? owner.project.id : owner.bid.id;
  const list = usePaged<Milestone>((limit, after) => api.milestones.list(filter, api.page(limit, after, "oldest")), [ownerId], 100);
  return (
    <section class="section" aria-labelledby="milestones-title">
      <MilestonesOf owner={owner} list={list} heading={<h2 id="milestones-title">Milestones</h2>} />
    </section>
  );
}

/** A client's milestones by project id, each project's oldest first. */
function byProject(milestones: Milestone[]): Map<Id, Milestone[]> {
  const groups = new Map<Id, Milestone[]>();
  for (const m of milestones) {
    if (m.project_id === null) continue;
    const group = groups.get(m.project_id);
    if (group) group.push(m);
    else groups.set(m.project_id, [m]);
  }
  return groups;
}

/** How many of a project's milestones a client's page shows at first. */
export const MILESTONES_OF_A_PROJECT_AT_FIRST = 10;

/**
 * The milestones of each project the Projects section shows (`projects`:
 * a few at first, more with its "Show more"), under the project's name (a
 * link to its page). None without projects: the Projects section says so,
 * and until it has loaded a "no projects" here would be wrong.
 *
 * They are read with one request for the whole client (a page holds 1 000;
 * the first comes with the page, `firstPage`), keyed by the client alone:
 * when the projects arrive, grow or change, the milestones already read are
 * only grouped again, never asked for again.
 * The core cannot list the milestones of some projects only in one request,
 * so that page holds those of projects not shown too; only the shown
 * projects' are drawn, the first few of each, the rest with the project's
 * own "Show more" (from what was read). A change made here (a move, an
 * edit, an addition, a deletion) reads them again, one request.
 */
export function ClientMilestones({ clientId, projects, firstPage }: { clientId: Id; projects: Project[]; firstPage?: Page<Milestone> }) {
  const { first, sort } = CLIENT_LISTS.milestones;
  const all = usePaged<Milestone>((limit, after) => api.milestones.ofClientProjects(clientId, api.page(limit, after, sort)), [clientId], first, firstPage);
  const groups = useMemo(() => byProject(all.items), [all.items]);
  // How many of each project's milestones are shown, when more than at first.
  const [shownOf, setShownOf] = useState<Record<Id, number>>({});
  if (projects.length === 0) return null;
  // A failed first read is said once, above the projects; nothing below claims "no milestones".
  const failed = all.error !== null && all.items.length === 0;
  return (
    <section class="section" aria-labelledby="client-milestones-title">
      <header>
        <h2 id="client-milestones-title">Milestones</h2>
      </header>
      {all.error && (
        <p class="form-error" role="alert">
          Could not load ({all.error.code}): {api.describe(all.error)}
        </p>
      )}
      {!failed &&
        projects.map((project) => {
          const group = groups.get(project.id) ?? [];
          const shown = shownOf[project.id] ?? MILESTONES_OF_A_PROJECT_AT_FIRST;
          const list: Paged<Milestone> = {
            items: group.length > shown ? group.slice(0, shown) : group,
            // Only before the first answer: a later read keeps what is shown.
            loading: all.loading && all.items.length === 0,
            error: null,
            hasMore: group.length > shown,
            more: async () => {
              setShownOf((old) => ({ ...old, [project.id]: shown * 2 }));
              return true;
            },
            reload: all.reload,
          };
          return (
            <div key={project.id} class="milestones-of">
              <MilestonesOf
                owner={{ project }}
                list={list}
                name={project.name}
                empty={all.hasMore ? "None among those read so far." : undefined}
                heading={
                  <h3>
                    <button class="link" onClick={() => go({ screen: "record", kind: "project", id: project.id })}>
                      {project.name}
                    </button>
                  </h3>
                }
              />
            </div>
          );
        })}
      {all.hasMore && (
        <button class="link" onClick={() => void all.more()}>
          Show more milestones
        </button>
      )}
    </section>
  );
}

/**
 * One owner's milestones: a header (`heading`, and Add milestone on a
 * project), then the rows of `list`, which the caller reads and which a
 * change here reloads. `name` is the owner's, for the labels of a page that
 * shows several owners' lists (a client's); `empty` what an empty list says.
 */
function MilestonesOf({
  owner,
  list,
  heading,
  name,
  empty = "No milestones yet.",
}: {
  owner: Owner;
  list: Paged<Milestone>;
  heading: ComponentChildren;
  name?: string;
  empty?: string;
}) {
  const ownerId = "project" in owner ? owner.project.id : owner.bid.id;
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // Beside other owners' lists, this one's forms need ids of their own.
  const idSuffix = name ? ownerId : undefined;
  const showMore = useShowMore(list, `milestones-${ownerId}`);

  async function move(m: Milestone, to: MilestoneStatus) {
    setBusy(m.id);
    try {
      await api.milestones.setStatus(m.id, to);
      notify(`${m.title}: ${to}`);
    } catch (raw) {
      const err = api.asApiError(raw);
      notify(`Could not move ${m.title} to ${to}: ${api.describe(err)}`, { tone: "error" });
    } finally {
      setBusy(null);
      list.reload();
    }
  }

  return (
    <>
      <header>
        {heading}
        {"project" in owner && !adding && (
          <button onClick={() => setAdding(true)} aria-label={name ? `Add milestone to ${name}` : undefined}>
            Add milestone
          </button>
        )}
      </header>
      {adding && "project" in owner && (
        <MilestoneForm
          idSuffix={idSuffix}
          projectId={owner.project.id}
          currency={owner.project.currency}
          onSaved={(m) => {
            setAdding(false);
            notify(`Milestone ${m.title} added`);
            list.reload();
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty={empty} />
      <ul class="items" aria-label={name ? `Milestones of ${name}` : "Milestones"} data-list={`milestones-${ownerId}`}>
        {list.items.map((m) =>
          editing === m.id ? (
            <li key={m.id}>
              <MilestoneForm
                idSuffix={idSuffix}
                milestone={m}
                onSaved={() => {
                  setEditing(null);
                  notify("Changes saved");
                  list.reload();
                }}
                onCancel={() => setEditing(null)}
              />
            </li>
          ) : (
            <li key={m.id}>
              <span class="grow">
                <strong>{m.title}</strong>
                <br />
                <span class="sub">
                  {m.due_date ? `due ${m.due_date}` : "no due date"}
                  {m.external_id ? ` · read-only: it ${MILESTONE_REASON}` : ""}
                </span>
              </span>
              <span class="money">{formatMoney(m.amount_minor, m.currency)}</span>
              <span class="pill">{m.status}</span>
              {!m.external_id &&
                MILESTONE_MOVES[m.status].map((to) => (
                  <button key={to} class="small" disabled={busy === m.id} onClick={() => void move(m, to)} aria-label={`${MOVE_LABEL[to]} ${m.title}`}>
                    {MOVE_LABEL[to]}
                  </button>
                ))}
              <button class="link" onClick={() => setEditing(m.id)} aria-label={`Edit milestone ${m.title}`}>
                Edit
              </button>
              {!m.external_id && (
                <button class="link" aria-label={`Delete milestone ${m.title}`} onClick={() => void removeWithUndo("milestone", m.id, `Milestone ${m.title}`, list.reload)}>
                  Delete
                </button>
              )}
            </li>
          ),
        )}
      </ul>
      {list.hasMore && (
        <button class="link" onClick={showMore} aria-label={name ? `Show more milestones of ${name}` : undefined}>
          Show more milestones
        </button>
      )}
    </>
  );
}
