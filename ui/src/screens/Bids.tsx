// Bids: a kanban by status with drag and drop (and a "Move to…" select for
// the keyboard), or a table; plus the "New bid" form. The core decides which
// moves are allowed; a refused one snaps back with an explanation. A bid on a
// marketplace job can be submitted to (or withdrawn from) that marketplace;
// once a marketplace holds it, shortlisted/awarded/rejected come only from
// the marketplace (the core refuses a hand move with "marketplace_owned").
import { useEffect, useState } from "preact/hooks";
import { KIND_LABEL } from "./Marketplaces";
import * as api from "../api";
import type { Bid } from "../bindings/Bid";
import type { BidStatus } from "../bindings/BidStatus";
import type { Id } from "../bindings/Id";
import { BidForm } from "../components/pipeline/BidForm";
import { loadAll } from "../loadAll";
import { formatMoney } from "../money";
import {
  BID_STATUSES,
  STATUS_LABEL,
  SUBMITTABLE,
  WITHDRAWABLE,
  explainMarketplaceOwned,
  explainRefusal,
  movesFor,
} from "../components/pipeline/status";
import { ShowMore, useShownCounts } from "../components/ShowMore";
import { go, notify, refreshSync, syncStatus } from "../state";
import { useListFilters } from "../components/records/ListFilters";
import { FollowUp } from "../components/FollowUp";
import "./pipeline.css";

type View = "board" | "table";

/** The core reads each bid with its job's title; none once the job is deleted. */
function jobTitle(bid: Bid): string {
  return bid.job_title ?? "(job removed)";
}

export function Bids() {
  const [bids, setBids] = useState<Bid[] | null>(null);
  const [more, setMore] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<View>("board");
  const [adding, setAdding] = useState(false);
  const [dragging, setDragging] = useState<Bid | null>(null);
  const [over, setOver] = useState<BidStatus | null>(null);
  const shown = useShownCounts<BidStatus | "table">();
  // What each bid's marketplace can do decides its buttons.
  const [accounts, setAccounts] = useState<Record<string, api.MarketAccount>>({});
  const extras = useListFilters("bid");

  async function load(after: string | null = null) {
    try {
      const connected = await api.sync.accounts();
      setAccounts(Object.fromEntries(connected.map((a) => [a.id, a])));
      const { items, more } = await loadAll((a) => api.bids.list(extras.filter, api.page(500, a ?? after, "updated")), 2000);
      setBids((prev) => (after && prev ? [...prev, ...items] : items));
      setMore(more);
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }

  // Again after each sync run: the marketplace may have moved a bid.
  useEffect(() => {
    void load();
  }, [syncStatus.value?.last_sync_at, extras.key]);

  async function move(bid: Bid, to: BidStatus) {
    if (bid.status === to) return;
    const from = bid.status;
    // Move at once; snap back if the core refuses.
    setBids((list) => list?.map((b) => (b.id === bid.id ? { ...b, status: to } : b)) ?? null);
    try {
      const saved = await api.bids.setStatus(bid.id, to);
      setBids((list) => list?.map((b) => (b.id === saved.id ? saved : b)) ?? null);
      notify(`Bid on ${jobTitle(bid)} moved to ${STATUS_LABEL[to]}.`);
      // A marketplace's bid moved to withdrawn queues the withdrawal for it.
      if (saved.external_id !== null) void refreshSync();
    } catch (raw) {
      setBids((list) => list?.map((b) => (b.id === bid.id ? { ...b, status: from } : b)) ?? null);
      const err = api.asApiError(raw);
      switch (err.code) {
        case "invalid_transition":
          notify(explainRefusal(from, to), { tone: "error" });
          break;
        case "marketplace_owned":
          notify(explainMarketplaceOwned(to), { tone: "error" });
          break;
        case "not_found":
          notify("That bid was removed elsewhere.", { tone: "error" });
          void load();
          break;
        default:
          notify(`The bid could not be moved: ${api.describe(err)}`, { tone: "error" });
      }
    }
  }

  /** Submit to (or withdraw from) the marketplace the bid's job came from; or,
   *  where its API takes no bids, open the job's page and record it as placed. */
  async function market(bid: Bid, action: MarketAction) {
    try {
      if (action === "place") {
        await api.sync.openJobPage(bid.job_id);
        notify("The job's page opens in your browser. Place the bid there, then press Mark as placed.");
        return;
      }
      const saved =
        action === "submit"
          ? await api.sync.submitBid(bid.id)
          : action === "placed"
            ? await api.sync.markPlaced(bid.id)
            : await api.sync.withdrawBid(bid.id);
      setBids((list) => list?.map((b) => (b.id === saved.id ? saved : b)) ?? null);
      notify(
        action === "submit"
          ? "Queued; it goes out with the next sync."
          : action === "placed"
            ? "Recorded as placed; the next sync links it to your proposal there."
            : "Withdrawn; the marketplace hears with the next sync.",
      );
      void refreshSync();
    } catch (raw) {
      const err = api.asApiError(raw);
      switch (err.code) {
        case "invalid_transition":
          notify(explainRefusal(bid.status, action === "withdraw" ? "withdrawn" : action === "placed" ? "submitted" : "queued"), {
            tone: "error",
          });
          break;
        case "validation":
          notify(`Not sent: ${api.describe(err)}.`, { tone: "error" });
          break;
        case "not_found":
          notify("That bid was removed elsewhere.", { tone: "error" });
          void load();
          break;
        default:
          notify(`The bid could not be ${action === "withdraw" ? "withdrawn" : "submitted"}: ${api.describe(err)}`, { tone: "error" });
      }
    }
  }

  function dropOn(to: BidStatus, e: DragEvent) {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer?.getData("text/plain");
    const bid = bids?.find((b) => b.id === id) ?? dragging;
    setDragging(null);
    if (bid) void move(bid, to);
  }

  const byStatus = (status: BidStatus) => (bids ?? []).filter((b) => b.status === status);

  return (
    <div class="pipeline">
      <div class="toolbar list-toolbar">
        <h1>Bids</h1>
        {extras.controls}
        <div class="segmented" role="group" aria-label="View">
          <button aria-pressed={view === "board"} onClick={() => setView("board")}>
            Board
          </button>
          <button aria-pressed={view === "table"} onClick={() => setView("table")}>
            Table
          </button>
        </div>
        <button class="primary" onClick={() => setAdding(true)} disabled={adding}>
          New bid
        </button>
      </div>
      {adding && (
        <BidForm
          onCancel={() => setAdding(false)}
          onSaved={(bid) => {
            setAdding(false);
            setBids((list) => [bid, ...(list ?? [])]);
            notify(`Draft bid saved for ${jobTitle(bid)}.`);
          }}
        />
      )}
      {error && (
        <p class="form-error" role="alert">
          Bids could not be loaded: {error}{" "}
          <button onClick={() => void load()}>Try again</button>
        </p>
      )}
      {bids === null && !error && <p aria-busy="true">Loading bids…</p>}
      {bids !== null && bids.length === 0 && !adding && extras.active && (
        <div class="empty">
          <p>No bids{extras.said}. Clear the filter to see every bid.</p>
        </div>
      )}
      {bids !== null && bids.length === 0 && !adding && !extras.active && (
        <div class="empty">
          <p>No bids yet.</p>
          <p>
            Choose <strong>New bid</strong> to draft one for a job, or open a job on the Jobs screen and choose "Bid on
            this job".
          </p>
        </div>
      )}
      {bids !== null && bids.length > 0 && view === "board" && (
        <div class="kanban" aria-label="Bids by status">
          {BID_STATUSES.map((status) => {
            const cards = byStatus(status);
            const target = dragging !== null && dragging.status !== status;
            const allowed = dragging !== null && movesFor(dragging).includes(status);
            return (
              <section
                key={status}
                class={`column${target ? (allowed ? " drop-ok" : " drop-no") : ""}${over === status ? " over" : ""}`}
                aria-labelledby={`col-${status}`}
                onDragOver={(e) => {
                  e.preventDefault();
                  if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
                  if (over !== status) setOver(status);
                }}
                onDragLeave={() => setOver((o) => (o === status ? null : o))}
                onDrop={(e) => dropOn(status, e)}
              >
                <h2 id={`col-${status}`}>
                  {STATUS_LABEL[status]} <span class="count">{cards.length}</span>
                </h2>
                <ul>
                  {cards.slice(0, shown.limit(status)).map((bid) => (
                    <li key={bid.id}>
                      <BidCard
                        bid={bid}
                        account={accounts[bid.market_account ?? ""]}
                        onMove={(to) => void move(bid, to)}
                        onMarket={(action) => void market(bid, action)}
                        onDragStart={() => setDragging(bid)}
                        onDragEnd={() => {
                          setDragging(null);
                          setOver(null);
                        }}
                      />
                    </li>
                  ))}
                </ul>
                <ShowMore
                  hidden={cards.length - shown.limit(status)}
                  what={`${STATUS_LABEL[status].toLowerCase()} bids`}
                  onMore={() => shown.more(status)}
                />
              </section>
            );
          })}
        </div>
      )}
      {bids !== null && bids.length > 0 && view === "table" && (
        <table class="pipeline-table">
          <caption class="visually-hidden">All bids</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col" class="num">
                Amount
              </th>
              <th scope="col" class="num">
                Days
              </th>
              <th scope="col">Status</th>
              <th scope="col">Updated</th>
              <th scope="col">Move</th>
              <th scope="col">Marketplace</th>
            </tr>
          </thead>
          <tbody>
            {bids.slice(0, shown.limit("table")).map((bid) => (
              <tr key={bid.id}>
                <th scope="row">
                  <button class="link" onClick={() => go({ screen: "record", kind: "bid", id: bid.id })}>
                    {jobTitle(bid)}
                  </button>
                </th>
                <td class="num">{formatMoney(bid.amount_minor, bid.currency)}</td>
                <td class="num">{bid.delivery_days}</td>
                <td>
                  <span class={`status status-${bid.status}`}>{STATUS_LABEL[bid.status]}</span>
                </td>
                <td>{new Date(bid.updated_at).toLocaleDateString()}</td>
                <td>
                  <MoveSelect bid={bid} onMove={(to) => void move(bid, to)} />
                </td>
                <td>
                  <MarketActions bid={bid} account={accounts[bid.market_account ?? ""]} onMarket={(action) => void market(bid, action)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {bids !== null && view === "table" && (
        <ShowMore hidden={bids.length - shown.limit("table")} what="bids" onMore={() => shown.more("table")} />
      )}
      {more && (
        <button onClick={() => void load(more)} class="load-more">
          Load more bids
        </button>
      )}
    </div>
  );
}

function MoveSelect({ bid, onMove }: { bid: Bid; onMove: (to: BidStatus) => void }) {
  const moves = movesFor(bid);
  const label = `Move bid on ${jobTitle(bid)} to…`;
  if (moves.length === 0) return <span class="muted small">Decided</span>;
  return (
    <select
      class="move"
      aria-label={label}
      value=""
      onChange={(e) => {
        const to = e.currentTarget.value as BidStatus;
        e.currentTarget.value = "";
        if (to) onMove(to);
      }}
    >
      <option value="">Move…</option>
      {moves.map((s) => (
        <option key={s} value={s}>
          {STATUS_LABEL[s]}
        </option>
      ))}
    </select>
  );
}

type MarketAction = "submit" | "withdraw" | "place" | "placed";

/** What the core allows: submit a draft or failed bid that has a connected
 *  marketplace account to go to (the core names it); withdraw one that is out
 *  there. Where the marketplace's API takes no bids (its capabilities say
 *  so), open its page to place it there and record it as placed. Bids kept
 *  by hand move with "Move…". */
function MarketActions(props: { bid: Bid; account?: api.MarketAccount; onMarket: (action: MarketAction) => void }) {
  const { bid, account, onMarket } = props;
  const title = jobTitle(bid);
  if (bid.market_account == null) return null;
  const can = account?.capabilities;
  const where = account ? KIND_LABEL[account.kind] : "the marketplace";
  const submittable = SUBMITTABLE.includes(bid.status);
  const withdrawable = WITHDRAWABLE.includes(bid.status);
  if (submittable && can?.bids_recorded_only)
    return (
      <span class="market-actions">
        <button class="small" aria-label={`Place bid on ${title} on ${where}`} onClick={() => onMarket("place")}>
          Place it on {where}
        </button>{" "}
        <button class="small" aria-label={`Mark bid on ${title} as placed`} onClick={() => onMarket("placed")}>
          Mark as placed
        </button>
      </span>
    );
  if (submittable)
    return (
      <button class="small" aria-label={`Submit bid on ${title} to marketplace`} onClick={() => onMarket("submit")}>
        Submit to marketplace
      </button>
    );
  // Recorded as placed on the website; its proposal has not shown up yet.
  if (withdrawable && can?.bids_recorded_only && bid.external_id === null)
    return (
      <span class="muted small" data-testid="awaiting-proposal">
        Placed on {where}; linked when it shows in your proposals
      </span>
    );
  if (withdrawable && can?.withdraw_bid === false)
    return <span class="muted small">Withdraw it on {where}</span>;
  if (withdrawable)
    return (
      <button class="small" aria-label={`Withdraw bid on ${title}`} onClick={() => onMarket("withdraw")}>
        Withdraw
      </button>
    );
  return null;
}

function BidCard(props: {
  bid: Bid;
  account?: api.MarketAccount;
  onMove: (to: BidStatus) => void;
  onMarket: (action: MarketAction) => void;
  onDragStart: () => void;
  onDragEnd: () => void;
}) {
  const { bid } = props;
  const title = jobTitle(bid);
  return (
    <article
      class="card"
      tabIndex={0}
      draggable
      aria-label={`${title}, ${formatMoney(bid.amount_minor, bid.currency)}, ${bid.delivery_days} days, ${STATUS_LABEL[bid.status]}`}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", bid.id as Id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        props.onDragStart();
      }}
      onDragEnd={props.onDragEnd}
    >
      <h3>
        <button class="link card-title" onClick={() => go({ screen: "record", kind: "bid", id: bid.id })} aria-label={`Open the bid on ${title}`}>
          {title}
        </button>
      </h3>
      <p class="card-facts">
        <span>{formatMoney(bid.amount_minor, bid.currency)}</span>
        <span>
          {bid.delivery_days} {bid.delivery_days === 1 ? "day" : "days"}
        </span>
        {bid.milestone_percentage > 0 && <span>{bid.milestone_percentage} % upfront</span>}
        {props.account && <span class="muted">on {props.account.name}</span>}
      </p>
      <MoveSelect bid={bid} onMove={props.onMove} />
      <MarketActions bid={bid} account={props.account} onMarket={props.onMarket} />
      <FollowUp subject={{ kind: "bid", id: bid.id }} what={`the bid on ${title}`} />
    </article>
  );
}
