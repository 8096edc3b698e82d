import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { act } from "preact/test-utils";
import type { Bid } from "../bindings/Bid";
import type { BidColumnRequest } from "../bindings/BidColumnRequest";
import type { BidFilter } from "../bindings/BidFilter";
import type { BidStatus } from "../bindings/BidStatus";
import type { PageRequest } from "../bindings/PageRequest";
import { BID_STATUSES } from "../components/pipeline/status";
import { render } from "preact";
import { chooseIn, find, mount, settle, typeInto } from "../testing/dom";
import { Bids, ROWS_AT_FIRST, cardsAtFirst } from "./Bids";
import { go, goBack, route, syncStatus } from "../state";

/** The tests' window is tall enough for the most cards a column starts with. */
const WINDOW_HEIGHT = 2000;
const CARDS_AT_FIRST = 10;

let bids: Bid[] = [];
/** What set_bid_status answers next: the moved bid, or a refusal. */
let refuse: { code: string; message: string } | null = null;
/** The connected marketplace accounts the core answers with the board. */
let accounts: unknown[] = [];

/** A bid made `n`th (ids sort as made) on the job titled `title`. */
function bid(n: number, status: BidStatus, title: string): Bid {
  const at = new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
  return {
    id: `0190a5f0-0000-7000-8000-${String(n).padStart(12, "0")}`,
    created_at: at,
    updated_at: at,
    deleted_at: null,
    source: null,
    external_id: null,
    job_id: "0190a5f0-0000-7000-9000-000000000001",
    project_id: null,
    status,
    amount_minor: 10_000,
    currency: "EUR",
    delivery_days: 5,
    milestone_percentage: 0,
    proposal: "",
    submitted_at: null,
    server_version: null,
    market_account: null,
    job_title: title,
    tags: [],
    fields: {},
  };
}

/** The core's bids list: the status filter, newest or latest change first, keyset pages (a position here). */
function listBids(filter: BidFilter, page: PageRequest) {
  let found = bids.filter((b) => !filter.status || b.status === filter.status);
  if (page.sort === "newest") found = [...found].sort((a, b) => b.id.localeCompare(a.id));
  else if (page.sort === "updated") found = [...found].sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.id.localeCompare(a.id));
  else throw new Error(`the board does not sort by ${page.sort}`);
  const start = page.after ? Number(page.after) : 0;
  const end = start + page.limit;
  return { items: found.slice(start, end), next: end < found.length ? String(end) : null };
}

function countByStatus() {
  return BID_STATUSES.map((status) => ({ status, count: bids.filter((b) => b.status === status).length })).filter((c) => c.count > 0);
}

function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "market_accounts":
    case "custom_fields":
      return [];
    case "list_bids":
      return listBids(args.filter as BidFilter, args.page as PageRequest);
    case "bid_board":
      return {
        columns: (args.columns as BidColumnRequest[]).map((c) => listBids({ ...(args.filter as BidFilter), status: c.status }, c.page)),
        counts: countByStatus(),
        accounts,
      };
    case "count_bids_by_status":
      return countByStatus();
    case "set_bid_status": {
      if (refuse) throw refuse;
      const { id, status } = args as { id: string; status: BidStatus };
      bids = bids.map((b) => (b.id === id ? { ...b, status } : b));
      return bids.find((b) => b.id === id);
    }
    default:
      throw new Error(`unexpected command ${command}`);
  }
}

function calls(command: string): Record<string, unknown>[] {
  return invoke.mock.calls.filter(([c]) => c === command).map(([, args]) => args as Record<string, unknown>);
}

/** The job titles of a column's cards, top to bottom. */
function column(root: HTMLElement, status: BidStatus): string[] {
  return [...root.querySelectorAll(`section[aria-labelledby='col-${status}'] li article h3`)].map((h) => h.textContent ?? "");
}

function count(root: HTMLElement, status: BidStatus): string {
  return find(root, `#col-${status} .count`).textContent ?? "";
}

beforeEach(() => {
  bids = [];
  refuse = null;
  accounts = [];
  let n = 0;
  // 25 submitted (the long column), 3 drafts, 12 rejected; the other columns empty.
  for (let i = 1; i <= 25; i++) bids.push(bid(++n, "submitted", `Submitted ${i}`));
  for (let i = 1; i <= 3; i++) bids.push(bid(++n, "draft", `Draft ${i}`));
  for (let i = 1; i <= 12; i++) bids.push(bid(++n, "rejected", `Rejected ${i}`));
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args));
  window.innerHeight = WINDOW_HEIGHT;
});

describe("how many cards a column starts with", () => {
  it("fills the window's height below the board's top, at least 3 and at most 10", () => {
    expect(cardsAtFirst(800)).toBe(4);
    expect(cardsAtFirst(1080)).toBe(6);
    expect(cardsAtFirst(560)).toBe(3);
    expect(cardsAtFirst(400)).toBe(3);
    expect(cardsAtFirst(WINDOW_HEIGHT)).toBe(CARDS_AT_FIRST);
    expect(cardsAtFirst(2160)).toBe(10);
  });

  it("reads fewer cards in a shorter window, and the rest with Show more", async () => {
    window.innerHeight = 800;
    const root = await mount(<Bids />);
    await settle();
    const [asked] = calls("bid_board") as { columns: BidColumnRequest[] }[];
    expect(asked!.columns.every((c) => c.page.limit === 4)).toBe(true);
    expect(column(root, "submitted")).toEqual(["Submitted 25", "Submitted 24", "Submitted 23", "Submitted 22"]);
    const more = find(root, "section[aria-labelledby='col-submitted'] button.load-more");
    expect(more.getAttribute("aria-label")).toBe("Show more submitted bids (21 hidden)");
    invoke.mockClear();
    await act(async () => more.click());
    await settle();
    expect(column(root, "submitted")).toHaveLength(8);
    expect(calls("list_bids")).toEqual([
      { filter: { status: "submitted" }, page: { limit: 4, after: "4", sort: "updated", include_deleted: false } },
    ]);
  });
});

describe("back on the board from a bid's page", () => {
  it("shows each column as far as it was shown, in one call, and focuses the card that opened the bid", async () => {
    window.innerHeight = 800;
    const root = await mount(<Bids />);
    await settle();
    await act(async () => find(root, "section[aria-labelledby='col-submitted'] button.load-more").click());
    await settle();
    expect(column(root, "submitted")).toHaveLength(8);
    const opener = find(root, "button[aria-label='Open the bid on Submitted 19']");
    await act(async () => opener.click());
    expect(route.value).toEqual({ screen: "record", kind: "bid", id: bids[18]!.id });
    await act(() => render(null, root));
    expect(document.activeElement).toBe(document.body);

    goBack({ screen: "bids" });
    invoke.mockClear();
    const again = await mount(<Bids />);
    await settle();
    const [asked] = calls("bid_board") as { columns: BidColumnRequest[] }[];
    expect(asked!.columns.find((c) => c.status === "submitted")!.page.limit).toBe(8);
    expect(asked!.columns.find((c) => c.status === "draft")!.page.limit).toBe(4);
    expect(calls("list_bids")).toEqual([]);
    expect(column(again, "submitted")).toHaveLength(8);
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Open the bid on Submitted 19");
  });

  it("starts from the first cards under another filter", async () => {
    window.innerHeight = 800;
    const root = await mount(<Bids />);
    await settle();
    await act(async () => find(root, "section[aria-labelledby='col-submitted'] button.load-more").click());
    await settle();
    await typeInto(find(root, "input[aria-label='Filter by tag']"), "vip");
    go({ screen: "record", kind: "bid", id: bids[0]!.id });
    await act(() => render(null, root));
    goBack({ screen: "bids" });
    invoke.mockClear();
    await mount(<Bids />);
    await settle();
    const [asked] = calls("bid_board") as { filter: BidFilter; columns: BidColumnRequest[] }[];
    expect(asked!.filter).toEqual({ tag: "vip" });
    expect(asked!.columns.every((c) => c.page.limit === 4)).toBe(true);
  });

  it("starts from the first cards when opened from the sidebar, and focuses nothing", async () => {
    window.innerHeight = 800;
    const root = await mount(<Bids />);
    await settle();
    await act(async () => find(root, "section[aria-labelledby='col-submitted'] button.load-more").click());
    await settle();
    await act(async () => find(root, "button[aria-label='Open the bid on Submitted 19']").click());
    await act(() => render(null, root));
    go({ screen: "bids" });
    invoke.mockClear();
    await mount(<Bids />);
    await settle();
    const [asked] = calls("bid_board") as { columns: BidColumnRequest[] }[];
    expect(asked!.columns.every((c) => c.page.limit === 4)).toBe(true);
    expect(document.activeElement).toBe(document.body);
  });
});

describe("the bids board", () => {
  it("keeps the counts of the latest read when an older read answers after it", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
      if (command !== "bid_board" || !first) return core(command, args);
      first = false;
      const stale = { ...(core(command, args) as object), counts: [{ status: "draft", count: 99 }] };
      await held;
      return stale;
    });
    const root = await mount(<Bids />);
    await settle();
    // A sync run ends: the board reads again, and that read answers first.
    await act(() => {
      syncStatus.value = { state: "online", last_sync_at: "2026-12-07T09:00:00Z", queued: 0, failed: [], conflicts: 0, accounts: [], sharing_off: false };
    });
    await settle();
    expect(count(root, "draft")).toBe("3");
    release();
    await settle();
    expect(count(root, "draft")).toBe("3");
    syncStatus.value = null;
  });

  it("gives a card the buttons its marketplace account allows, the account read with the board", async () => {
    const upwork = { id: "acc-upwork", kind: "upwork", capabilities: { bids_recorded_only: true } };
    accounts = [upwork];
    bids = [{ ...bid(99, "draft", "Upwork draft"), market_account: upwork.id }];
    const root = await mount(<Bids />);
    await settle();
    expect(calls("market_accounts")).toEqual([]);
    const card = find(root, "section[aria-labelledby='col-draft'] li article");
    expect([...card.querySelectorAll("button")].map((b) => b.textContent?.trim())).toContain("Place it on Upwork");
  });

  it("reads each column's latest changed bids, the counts and the accounts in one call, and draws a few cards a column", async () => {
    const root = await mount(<Bids />);
    // Every column's first page, its count and the accounts: one call.
    const asked = calls("bid_board") as { filter: BidFilter; columns: BidColumnRequest[] }[];
    expect(asked).toHaveLength(1);
    expect(asked[0]!.filter).toEqual({});
    expect(asked[0]!.columns.map((c) => c.status)).toEqual(BID_STATUSES);
    expect(asked[0]!.columns.every((c) => c.page.limit === CARDS_AT_FIRST && c.page.sort === "updated" && !c.page.after)).toBe(true);
    expect(calls("list_bids")).toEqual([]);
    expect(calls("count_bids_by_status")).toEqual([]);
    expect(calls("market_accounts")).toEqual([]);
    await settle();

    expect(column(root, "submitted")).toHaveLength(CARDS_AT_FIRST);
    expect(column(root, "submitted")[0]).toBe("Submitted 25");
    expect(count(root, "submitted")).toBe("25");
    expect(column(root, "draft")).toEqual(["Draft 3", "Draft 2", "Draft 1"]);
    expect(count(root, "rejected")).toBe("12");
    expect(count(root, "queued")).toBe("0");
    expect(root.querySelectorAll(".kanban article.card")).toHaveLength(CARDS_AT_FIRST + 3 + CARDS_AT_FIRST);
    const more = find(root, "section[aria-labelledby='col-submitted'] button.load-more");
    expect(more.getAttribute("aria-label")).toBe("Show more submitted bids (15 hidden)");
    expect(root.querySelector("section[aria-labelledby='col-draft'] button.load-more")).toBeNull();
  });

  it("keeps every card's controls in the page, for the keyboard", async () => {
    const root = await mount(<Bids />);
    await settle();
    const cards = [...root.querySelectorAll<HTMLElement>(".kanban article.card")];
    expect(cards).toHaveLength(CARDS_AT_FIRST + 3 + CARDS_AT_FIRST);
    for (const card of cards) {
      expect(card.tabIndex).toBe(0);
      const title = card.querySelector("h3")?.textContent ?? "";
      // A rejected bid is decided: no move is left to offer.
      const move = card.querySelector(`select[aria-label^='Move bid on ${title} ']`);
      expect(move === null).toBe(title.startsWith("Rejected"));
      expect(card.querySelector(`button[aria-label='Follow up on the bid on ${title} in 3 days']`)).not.toBeNull();
    }
  });

  it("adds a follow-up about a card's bid three days from now with one press", async () => {
    const root = await mount(<Bids />);
    await settle();
    invoke.mockImplementation(async (command: string, args: Record<string, unknown>) =>
      command === "follow_up" ? { title: "Follow up: Draft 3" } : core(command, args),
    );
    const before = Date.now();
    await act(async () => {
      find(root, "button[aria-label='Follow up on the bid on Draft 3 in 3 days']").click();
    });
    await settle();
    const [asked] = calls("follow_up");
    expect(asked?.subject).toEqual({ kind: "bid", id: bids.find((b) => b.job_title === "Draft 3")?.id });
    const due = Date.parse(asked?.dueAt as string) - before;
    const threeDays = 3 * 24 * 60 * 60 * 1000;
    expect(due).toBeGreaterThanOrEqual(threeDays);
    expect(due).toBeLessThan(threeDays + 60_000);
  });

  it("shows the rest of a long column with Show more, each time going on from the first new card", async () => {
    const root = await mount(<Bids />);
    await settle();
    invoke.mockClear();
    const more = () => act(() => find<HTMLButtonElement>(root, "section[aria-labelledby='col-submitted'] button.load-more").click());

    await more();
    await settle();
    expect(column(root, "submitted")).toHaveLength(2 * CARDS_AT_FIRST);
    // That column's next page alone, after its cursor.
    expect(calls("list_bids")).toEqual([
      { filter: { status: "submitted" }, page: { limit: CARDS_AT_FIRST, after: String(CARDS_AT_FIRST), sort: "updated", include_deleted: false } },
    ]);
    const focused = document.activeElement as HTMLElement;
    expect(focused.matches("article.card")).toBe(true);
    expect(focused.querySelector("h3")?.textContent).toBe(`Submitted ${25 - CARDS_AT_FIRST}`);

    await more();
    await settle();
    const all = column(root, "submitted");
    expect(all).toHaveLength(25);
    expect(new Set(all).size).toBe(25);
    expect(root.querySelector("section[aria-labelledby='col-submitted'] button.load-more")).toBeNull();
    expect((document.activeElement as HTMLElement).querySelector("h3")?.textContent).toBe("Submitted 5");
    // The other columns stay as they were.
    expect(column(root, "rejected")).toHaveLength(CARDS_AT_FIRST);
  });

  it("moves a bid to the top of its new column, and snaps a refused move back to where it was", async () => {
    const root = await mount(<Bids />);
    await settle();
    await chooseIn(root.querySelector("select[aria-label^='Move bid on Draft 2 ']"), "queued");
    await settle();
    expect(calls("set_bid_status")).toEqual([{ id: bids[26]!.id, status: "queued" }]);
    expect(column(root, "draft")).toEqual(["Draft 3", "Draft 1"]);
    expect(column(root, "queued")).toEqual(["Draft 2"]);
    expect([count(root, "draft"), count(root, "queued")]).toEqual(["2", "1"]);
    // The focus went with the card.
    const focused = () => document.activeElement as HTMLElement;
    expect(focused().matches("section[aria-labelledby='col-queued'] article.card")).toBe(true);
    expect(focused().querySelector("h3")?.textContent).toBe("Draft 2");

    refuse = { code: "invalid_transition", message: "no" };
    await chooseIn(root.querySelector("select[aria-label^='Move bid on Draft 1 ']"), "queued");
    await settle();
    expect(column(root, "draft")).toEqual(["Draft 3", "Draft 1"]);
    expect(column(root, "queued")).toEqual(["Draft 2"]);
    expect([count(root, "draft"), count(root, "queued")]).toEqual(["2", "1"]);
    expect(focused().matches("section[aria-labelledby='col-draft'] article.card")).toBe(true);
    expect(focused().querySelector("h3")?.textContent).toBe("Draft 1");
  });

  it("lists every bid in the table, latest change first, a page at a time", async () => {
    bids.push(...Array.from({ length: 30 }, (_, i) => bid(100 + i, "awarded", `Awarded ${i + 1}`)));
    const root = await mount(<Bids />);
    await settle();
    invoke.mockClear();
    await act(() => [...root.querySelectorAll("button")].find((b) => b.textContent === "Table")!.click());
    await settle();
    expect(calls("list_bids")).toEqual([{ filter: {}, page: { limit: ROWS_AT_FIRST, sort: "updated", include_deleted: false } }]);
    expect(root.querySelectorAll("table.pipeline-table tbody tr")).toHaveLength(ROWS_AT_FIRST);
    await act(() => find<HTMLButtonElement>(root, "button.load-more").click());
    await settle();
    expect(root.querySelectorAll("table.pipeline-table tbody tr")).toHaveLength(70);
    expect(root.querySelector("button.load-more")).toBeNull();
  });
});
