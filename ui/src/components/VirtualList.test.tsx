import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { render } from "preact";
import { act } from "preact/test-utils";
import type { Page } from "../bindings/Page";
import { forgetPlaces } from "../places";
import { go, goBack } from "../state";
import { find, mount, press, settle } from "../testing/dom";
import { VirtualList } from "./VirtualList";

interface Row {
  id: string;
  name: string;
}

/** The rows the core holds, in their order; `remove` takes one away between visits. */
let rows: Row[] = [];
/** Each read's cursor and limit, as the list asked. */
let reads: { after: string | null; limit: number }[] = [];

function named(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: `r${i}`, name: `Client ${i}` }));
}

/** The most reads in flight at once. */
let together = 0;
let inFlight = 0;

async function fetchPage(after: string | null, limit: number): Promise<Page<Row>> {
  reads.push({ after, limit });
  inFlight += 1;
  together = Math.max(together, inFlight);
  await new Promise((resolve) => setTimeout(resolve, 0));
  inFlight -= 1;
  const start = after === null ? 0 : rows.findIndex((r) => r.id === after) + 1;
  const items = rows.slice(start, start + limit);
  const last = items[items.length - 1];
  return { items, next: start + limit < rows.length && last ? last.id : null };
}

function List({ filter = "" }: { filter?: string }) {
  return (
    <VirtualList<Row>
      label="Clients"
      rowHeight={40}
      pageSize={50}
      place={{ name: "clients", filter }}
      reloadKey={filter}
      fetchPage={fetchPage}
      keyOf={(r) => r.id}
      labelOf={(r) => r.name}
      renderRow={(r) => <span>{r.name}</span>}
    />
  );
}

const list = (root: HTMLElement) => find<HTMLDivElement>(root, "[role=listbox]");
const chosen = (root: HTMLElement) => root.querySelector("[role=option][aria-selected=true]")?.textContent ?? null;

/** Reads down to row `index` with the keyboard, as a user working down the list does. */
async function workDownTo(root: HTMLElement, index: number): Promise<void> {
  await act(() => list(root).focus());
  for (let i = 0; i < index; i++) {
    await press("ArrowDown", {}, list(root));
    await settle();
  }
}

/** Scrolls to the end of what is read until `rows` are, as a user reading far down does. */
async function scrollUntilRead(root: HTMLElement, rows: number): Promise<void> {
  while (Number(list(root).dataset.loadedCount) < rows) {
    await act(() => {
      list(root).scrollTop = Number(list(root).dataset.loadedCount) * 40;
      list(root).dispatchEvent(new Event("scroll"));
    });
    await settle();
  }
}

/** Leaves the list for a record's page, and goes back to it (Esc), or `by` the sidebar. */
async function leaveAndReturn(root: HTMLElement, filter = "", by: "back" | "sidebar" = "back"): Promise<HTMLElement> {
  go({ screen: "client", id: "r1" });
  await act(() => render(null, root));
  expect(document.activeElement, "the focus went with the list").toBe(document.body);
  if (by === "back") goBack({ screen: "clients" });
  else go({ screen: "clients" });
  reads = [];
  const again = await mount(<List filter={filter} />);
  await settle();
  return again;
}

beforeEach(() => {
  invoke.mockReset();
  // happy-dom lays nothing out: a list ten rows high, as in a window.
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(400);
  forgetPlaces();
  rows = named(400);
  reads = [];
  together = 0;
  inFlight = 0;
});

describe("a long list gone back to", () => {
  it("opens where it was left: as many rows, the same scroll, the chosen row selected and focused", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 70);
    expect(chosen(root)).toBe("Client 70");
    const loaded = Number(list(root).dataset.loadedCount);
    const scrolled = list(root).scrollTop;
    expect(loaded, "more than the first page was read on the way down").toBeGreaterThan(50);
    expect(scrolled).toBeGreaterThan(0);

    const again = await leaveAndReturn(root);
    expect(reads, "every row read before is read back at once").toEqual([{ after: null, limit: loaded }]);
    expect(list(again).scrollTop).toBe(scrolled);
    expect(chosen(again)).toBe("Client 70");
    expect(document.activeElement).toBe(list(again));
    await press("ArrowDown", {}, list(again));
    expect(chosen(again), "the keyboard goes on from the chosen row").toBe("Client 71");
  });

  it("reads a list scrolled far down back in the core's largest pages", async () => {
    rows = named(3000);
    const root = await mount(<List />);
    await settle();
    await scrollUntilRead(root, 1200);
    const loaded = Number(list(root).dataset.loadedCount);
    const scrolled = list(root).scrollTop;
    together = 0;
    const again = await leaveAndReturn(root);
    expect(reads, "from the top, and from where the thousandth row's page ended").toEqual([
      { after: null, limit: 1000 },
      { after: "r999", limit: loaded - 1000 },
    ]);
    expect(together, "both at once").toBe(2);
    expect(Number(list(again).dataset.loadedCount)).toBe(loaded);
    expect(list(again).scrollTop).toBe(scrolled);
    expect(chosen(again), "nothing was chosen").toBeNull();
  });

  it("reads on from the first read's end when rows were added above meanwhile", async () => {
    rows = named(3000);
    const root = await mount(<List />);
    await settle();
    await scrollUntilRead(root, 1200);
    const loaded = Number(list(root).dataset.loadedCount);
    rows = [{ id: "new", name: "Aaron, added" }, ...rows];
    const again = await leaveAndReturn(root);
    await settle();
    const shown = Number(list(again).dataset.loadedCount);
    expect(shown).toBeGreaterThanOrEqual(loaded);
    expect(reads[2], "the second read's rows dropped, the rest read on from the first's end").toEqual({ after: "r998", limit: loaded - 1000 });
    // Every row once, in order: no row twice where the two reads met.
    const ids = [...again.querySelectorAll("[role=option]")].map((r) => r.getAttribute("aria-label"));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("chooses the row a click opened, though the list went before it drew the click", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 3);
    const row = [...root.querySelectorAll<HTMLElement>("[role=option]")].find((r) => r.textContent === "Client 9")!;
    // The click opens the client: the page replaces the list in the same render.
    go({ screen: "client", id: "r9" });
    await act(() => {
      row.click();
      render(null, root);
    });
    goBack({ screen: "clients" });
    const again = await mount(<List />);
    await settle();
    expect(chosen(again)).toBe("Client 9");
  });

  it("opened from the sidebar, starts at its top and reads one page", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 70);
    const again = await leaveAndReturn(root, "", "sidebar");
    expect(reads).toEqual([{ after: null, limit: 50 }]);
    expect(list(again).scrollTop).toBe(0);
    expect(chosen(again)).toBeNull();
  });

  it("reads a page when it was left before it had read anything", async () => {
    rows = [];
    const root = await mount(<List />);
    await settle();
    rows = named(400);
    const again = await leaveAndReturn(root);
    expect(reads).toEqual([{ after: null, limit: 50 }]);
    expect(Number(list(again).dataset.loadedCount)).toBe(50);
  });

  it("selects the next row when the chosen one is gone", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 12);
    rows = rows.filter((r) => r.name !== "Client 12");
    const again = await leaveAndReturn(root);
    expect(chosen(again)).toBe("Client 13");
  });

  it("starts at the top under another filter, and after being read once", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 30);
    const filtered = await leaveAndReturn(root, "vip");
    expect(reads).toEqual([{ after: null, limit: 50 }]);
    expect(chosen(filtered)).toBeNull();
    expect(list(filtered).scrollTop).toBe(0);

    // The place was taken: the unfiltered list gone back to later starts at its top
    // too (the filtered one left behind its own place, under "vip").
    await act(() => render(null, filtered));
    goBack({ screen: "clients" });
    reads = [];
    const plain = await mount(<List />);
    await settle();
    expect(reads).toEqual([{ after: null, limit: 50 }]);
    expect(chosen(plain)).toBeNull();
  });

  it("leaves a focus the screen placed elsewhere where it is", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 5);
    await act(() => render(null, root));
    goBack({ screen: "clients" });
    const elsewhere = document.createElement("button");
    document.body.append(elsewhere);
    elsewhere.focus();
    const again = document.createElement("div");
    document.body.append(again);
    await act(() => render(<List />, again));
    await settle();
    expect(chosen(again)).toBe("Client 5");
    expect(document.activeElement).toBe(elsewhere);
    await act(() => render(null, again));
  });

  it("forgets every place once forgotten (the app locked)", async () => {
    const root = await mount(<List />);
    await settle();
    await workDownTo(root, 8);
    await act(() => render(null, root));
    forgetPlaces();
    goBack({ screen: "clients" });
    reads = [];
    const again = await mount(<List />);
    await settle();
    expect(reads).toEqual([{ after: null, limit: 50 }]);
    expect(chosen(again)).toBeNull();
  });
});
