// Bids: a kanban by status with drag and drop (and a "Move to…" select for
// the keyboard), or a table; plus the "New bid" form. The core decides which
// moves are allowed; a refused one snaps back with an explanation. A bid on a
// marketplace job can be submitted to (or withdrawn from) that marketplace;
// once a marketplace holds it, shortlisted/awarded/rejected come only from
// the marketplace (the core refuses a hand move with "marketplace_owned").
// Each column reads its own status's bids from the core, latest change
// first, as many at first as the window's height shows and more with its
// "Show more", beside the count of each status: the board opens as fast with
// a million records as with a thousand, and every bid can still be reached
// in its column. A moved bid leads its new column (its change is the latest).
import { useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import { KIND_LABEL } from "./Marketplaces";
import * as api from "../api";
import type { Bid } from "../bindings/Bid";
import type { BidBoard } from "../bindings/BidBoard";
import type { BidStatus } from "../bindings/BidStatus";
import type { BidStatusCount } from "../bindings/BidStatusCount";
import type { Id } from "../bindings/Id";
import { BidForm } from "../components/pipeline/BidForm";
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
import { ShowMore, useFocusShown, usePagedParts, type Parts } from "../components/ShowMore";
import { go, notify, refreshSync, syncStatus } from "../state";
import { useListFilters } from "../components/records/ListFilters";
import { keepOpener, useFocusOpener, useKept } from "../places";
import { QuickFollowUp } from "../components/FollowUp";
import { dateText } from "../dates";
import "./pipeline.css";

type View = "board" | "table";

/** The core reads each bid with its job's title; none once the job is deleted. */
function jobTitle(bid: Bid): string {
  return bid.job_title ?? "(job removed)";
}

// The board's geometry in CSS pixels, measured in the real window (1200 x 800,
// the narrowest columns, where cards are tallest).
/** From the window's top to a column's first card: the screen's title and the column's heading. */
const ABOVE_CARDS_PX = 100;
/** Below a column's cards: its "Show more" (two lines in a narrow column) and the sync bar. */
const BELOW_CARDS_PX = 100;
/** The shortest card with the gap under it: a two-line title, no marketplace buttons. */
const SHORTEST_CARD_PX = 172;

/**
 * How many cards each column of the board starts with, its latest changed:
 * enough for a column of the shortest cards of the narrowest columns, with
 * its "Show more", to reach the bottom of a window `windowHeight` tall,
 * between 3 (the window's least height) and 10; "Show more" doubles it.
 * (Wider columns hold shorter cards: at 2560 px a short column ends about
 * 100 px above the bottom, its "Show more" in view.) Cards below the window
 * cost the first drawing as much as the ones in view (at 1 M, 10 a column
 * were twice the style and layout of 5, docs/performance.md): a 800 px
 * window shows 4 at most.
 */
export function cardsAtFirst(windowHeight: number): number {
  const room = windowHeight - ABOVE_CARDS_PX - BELOW_CARDS_PX;
  return Math.min(10, Math.max(3, Math.ceil(room / SHORTEST_CARD_PX)));
}
/** The table starts with this many rows. */
export const ROWS_AT_FIRST = 50;

type Counts = Partial<Record<BidStatus, number>>;
type Columns = Parts<BidStatus, Bid>;

/** The board with `bid` in its status's column: where it is when it is there already, else at `index`. */
function onBoard(columns: Columns, bid: Bid, index = 0): Columns {
  const out = { ...columns };
  const column = out[bid.status];
  const at = column.items.findIndex((b) => b.id === bid.id);
  if (at >= 0) {
    out[bid.status] = { ...column, items: column.items.map((b, i) => (i === at ? bid : b)) };
    return out;
  }
  for (const status of BID_STATUSES) {
    if (status !== bid.status && out[status].items.some((b) => b.id === bid.id)) {
      out[status] = { ...out[status], items: out[status].items.filter((b) => b.id !== bid.id) };
    }
  }
  const items = [...column.items];
  items.splice(Math.min(index, items.length), 0, bid);
  out[bid.status] = { ...column, items };
  return out;
}

export function Bids() {
  const [counts, setCounts] = useState<Counts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useKept<View>("bids.view", "board");
  const [adding, setAdding] = useState(false);
  const [dragging, setDragging] = useState<Bid | null>(null);
  const [over, setOver] = useState<BidStatus | null>(null);
  // What each bid's marketplace can do decides its buttons.
  const [accounts, setAccounts] = useState<Record<string, api.MarketAccount>>({});
  const extras = useListFilters("bid");
  const filter = useRef(extras.filter);
  filter.current = extras.filter;
  // Each column reads its own status's bids, the table every bid; both latest change first.
  const [cardsFirst] = useState(() => cardsAtFirst(window.innerHeight));
  // The columns' first pages come in one call with the counts and the
  // accounts (`bid_board`); a column's "Show more" reads on alone. The load
  // that started a read hears its answer (`hearBoard`, set while it starts).
  const hearBoard = useRef<((answer: BidBoard) => void) | null>(null);
  const board = usePagedParts<BidStatus, Bid>(
    BID_STATUSES,
    cardsFirst,
    (status, limit, after) => api.bids.list({ ...filter.current, status }, api.page(limit, after, "updated")),
    {
      readFirstPages: async (wanted) => {
        const hear = hearBoard.current;
        const answer = await api.bids.board(
          filter.current,
          wanted.map(({ part, limit }) => ({ status: part, page: api.page(limit, null, "updated") })),
        );
        hear?.(answer);
        return answer.columns;
      },
      // Back from a bid, each column as far as it was shown.
      place: { name: "bids.board", filter: extras.key },
    },
  );
  const table = usePagedParts<"all", Bid>(
    ["all"],
    ROWS_AT_FIRST,
    (_, limit, after) => api.bids.list(filter.current, api.page(limit, after, "updated")),
    { place: { name: "bids.table", filter: extras.key } },
  );
  const shown = useFocusShown();
  // The filter each view was last read under: under another, it starts again from its first items.
  const readUnder = useRef<Record<View, string>>({ board: extras.key, table: extras.key });

  // The latest load: an older one that answers after it shows nothing.
  const loads = useRef(0);

  /** The shown view as far as it is shown (from its start under another filter), at once with the counts by status. */
  async function load() {
    const mine = ++loads.current;
    const fresh = readUnder.current[view] !== extras.key;
    readUnder.current = { ...readUnder.current, [view]: extras.key };
    const show = (counted: BidStatusCount[], connected: api.MarketAccount[]) => {
      if (mine !== loads.current) return;
      setCounts(Object.fromEntries(counted.map((c) => [c.status, c.count])));
      setAccounts(Object.fromEntries(connected.map((a) => [a.id, a])));
    };
    try {
      if (view === "board") {
        const heard: { answer?: BidBoard } = {};
        hearBoard.current = (answer) => (heard.answer = answer);
        const reading = board.reload(fresh);
        hearBoard.current = null;
        await reading;
        if (heard.answer) show(heard.answer.counts, heard.answer.accounts);
      } else {
        const [counted, connected] = await Promise.all([api.bids.countByStatus(filter.current), api.sync.accounts(), table.reload(fresh)]);
        show(counted, connected);
      }
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }

  // Again after each sync run (the marketplace may have moved a bid), and for the other view.
  useReadEffect(() => {
    void load();
  }, [syncStatus.value?.last_sync_at, extras.key, view]);

  /** Shows `bid` as it now is: in its column (at `index` if it arrives there) and in the table. */
  function show(bid: Bid, index = 0) {
    board.update((columns) => onBoard(columns, bid, index));
    table.update(({ all }) => ({ all: { ...all, items: all.items.map((b) => (b.id === bid.id ? bid : b)) } }));
  }

  /** A bid left `from` for `to` (from null: a new bid). */
  function recount(from: BidStatus | null, to: BidStatus) {
    if (from === to) return;
    setCounts((c) => {
      if (!c) return c;
      const out = { ...c, [to]: (c[to] ?? 0) + 1 };
      if (from) out[from] = Math.max((c[from] ?? 0) - 1, 0);
      return out;
    });
  }

  async function showMore(part: BidStatus | "all") {
    try {
      if (part === "all") {
        shown.focusFrom("bids-table", table.parts?.all.items.length ?? 0);
        await table.more("all");
      } else {
        shown.focusFrom(`bids-${part}`, board.parts?.[part].items.length ?? 0);
        await board.more(part);
      }
    } catch (raw) {
      shown.cancel();
      notify(`More bids could not be read: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  async function move(bid: Bid, to: BidStatus) {
    if (bid.status === to) return;
    const from = bid.status;
    const index = board.parts?.[from].items.findIndex((b) => b.id === bid.id) ?? 0;
    // Move at once, to the top of its new column; snap back if the core refuses.
    // On the board the focus goes with the card (its old place is gone).
    const follow = (status: BidStatus, at: number) => {
      if (view === "board") shown.focusFrom(`bids-${status}`, at);
    };
    show({ ...bid, status: to });
    recount(from, to);
    follow(to, 0);
    try {
      const saved = await api.bids.setStatus(bid.id, to);
      show(saved);
      recount(to, saved.status);
      notify(`Bid on ${jobTitle(bid)} moved to ${STATUS_LABEL[to]}.`);
      // A marketplace's bid moved to withdrawn queues the withdrawal for it.
      if (saved.external_id !== null) void refreshSync();
    } catch (raw) {
      show({ ...bid, status: from }, Math.max(index, 0));
      follow(from, Math.max(index, 0));
      recount(to, from);
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
      show(saved);
      recount(bid.status, saved.status);
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
    const bid = BID_STATUSES.flatMap((s) => board.parts?.[s].items ?? []).find((b) => b.id === id) ?? dragging;
    setDragging(null);
    if (bid) void move(bid, to);
  }

  const total = counts ? BID_STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0) : 0;
  const rows = table.parts?.all ?? null;
  const loaded = counts !== null && (view === "board" ? board.parts !== null : rows !== null);
  const none = loaded && total === 0;
  // Back from a bid's page, the focus returns to the card or row that opened it.
  useFocusOpener("bids", loaded);

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
            board.update((columns) => onBoard(columns, bid));
            table.update(({ all }) => ({ all: { ...all, items: [bid, ...all.items] } }));
            recount(null, bid.status);
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
      {!loaded && !error && <p aria-busy="true">Loading bids…</p>}
      {none && !adding && extras.active && (
        <div class="empty">
          <p>No bids{extras.said}. Clear the filter to see every bid.</p>
        </div>
      )}
      {none && !adding && !extras.active && (
        <div class="empty">
          <p>No bids yet.</p>
          <p>
            Choose <strong>New bid</strong> to draft one for a job, or open a job on the Jobs screen and choose "Bid on
            this job".
          </p>
        </div>
      )}
      {loaded && !none && view === "board" && board.parts && (
        <div class="kanban" aria-label="Bids by status">
          {BID_STATUSES.map((status) => {
            const { items: cards, next } = board.parts![status];
            const count = Math.max(counts?.[status] ?? 0, cards.length);
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
                  {STATUS_LABEL[status]} <span class="count">{count}</span>
                </h2>
                <ul data-list={`bids-${status}`}>
                  {cards.map((bid) => (
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
                  hidden={next === null ? 0 : Math.max(count - cards.length, 1)}
                  what={`${STATUS_LABEL[status].toLowerCase()} bids`}
                  onMore={() => void showMore(status)}
                />
              </section>
            );
          })}
        </div>
      )}
      {loaded && !none && view === "table" && rows && (
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
          <tbody data-list="bids-table">
            {rows.items.map((bid) => (
              <tr key={bid.id}>
                <th scope="row">
                  <button class="link" data-opener={bid.id} onClick={() => openBid(bid)}>
                    {jobTitle(bid)}
                  </button>
                </th>
                <td class="num">{formatMoney(bid.amount_minor, bid.currency)}</td>
                <td class="num">{bid.delivery_days}</td>
                <td>
                  <span class={`status status-${bid.status}`}>{STATUS_LABEL[bid.status]}</span>
                </td>
                <td>{dateText(bid.updated_at)}</td>
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
      {loaded && view === "table" && rows && rows.next !== null && (
        <ShowMore hidden={Math.max(total - rows.items.length, 1)} what="bids" onMore={() => void showMore("all")} />
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

/** A bid's page, from its card or its row: back from it, that button takes the focus again. */
function openBid(bid: Bid): void {
  keepOpener("bids", bid.id);
  go({ screen: "record", kind: "bid", id: bid.id });
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
        <button class="link card-title" data-opener={bid.id} onClick={() => openBid(bid)} aria-label={`Open the bid on ${title}`}>
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
      <QuickFollowUp subject={{ kind: "bid", id: bid.id }} what={`the bid on ${title}`} />
    </article>
  );
}
