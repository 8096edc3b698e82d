import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

import { find, mount } from "../../testing/dom";
import { BarChart, chartsAtFirst, RateChart } from "./charts";

const data = [
  { label: "Draft", value: 150_000, text: "1,500.00 EUR (2 bids)", short: "1.5k" },
  { label: "Submitted", value: 0, text: "none" },
];

async function click(button: HTMLElement): Promise<void> {
  await act(() => button.click());
}

describe("a chart's figures", () => {
  it("are all in the image's name, and in a table only once asked for", async () => {
    const root = await mount(<BarChart eager title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />);
    const name = find(root, "svg[role=img]").getAttribute("aria-label");
    expect(name).toBe("Bid value by status, EUR. Draft: 1,500.00 EUR (2 bids); Submitted: none");
    expect(root.querySelector("table")).toBeNull();

    const button = find(root, ".chart-figures button");
    expect(button.textContent).toBe("Show the figures");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    await click(button);
    const table = find(root, "table");
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(button.getAttribute("aria-controls")).toBe(table.id);
    expect(find(table, "caption").textContent).toBe("Bid value by status, EUR");
    const rows = [...table.querySelectorAll("tbody tr")].map((tr) =>
      [...tr.querySelectorAll("th, td")].map((cell) => cell.textContent),
    );
    expect(rows).toEqual([
      ["Draft", "1,500.00 EUR (2 bids)"],
      ["Submitted", "none"],
    ]);

    expect(button.textContent).toBe("Hide the figures");
    await click(button);
    expect(root.querySelector("table")).toBeNull();
    expect(button.getAttribute("aria-expanded")).toBe("false");
  });

  it("of a rate chart read by month, each chart's table its own", async () => {
    const points = [
      { label: "Nov 26", rate: 0.5, text: "50 % (1 of 2)" },
      { label: "Dec 26", rate: null, text: "no decisions" },
    ];
    const root = await mount(
      <div>
        <RateChart eager title="Share of decided bids won" points={points} />
        <BarChart eager title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />
      </div>,
    );
    const [rate, bars] = [...root.querySelectorAll<HTMLElement>(".chart-figures button")];
    await click(rate as HTMLElement);
    expect(root.querySelectorAll("table")).toHaveLength(1);
    const table = find(root, "table");
    expect(rate?.getAttribute("aria-controls")).toBe(table.id);
    expect(bars?.getAttribute("aria-expanded")).toBe("false");
    expect([...table.querySelectorAll("thead th")].map((th) => th.textContent)).toEqual(["Month", "Win rate"]);
    expect([...table.querySelectorAll("tbody td")].map((td) => td.textContent)).toEqual(["50 % (1 of 2)", "no decisions"]);
  });
});


/**
 * happy-dom's IntersectionObserver never reports, so these tests stand in
 * for the window's. The real window is driven in e2e/tests/flows.rs (the
 * dashboard's charts in view drawn at first, the last one scrolled to).
 */
class FakeObserver {
  static made: FakeObserver[] = [];
  targets: Element[] = [];
  disconnected = false;
  constructor(
    readonly callback: IntersectionObserverCallback,
    readonly options: IntersectionObserverInit,
  ) {
    FakeObserver.made.push(this);
  }
  observe(target: Element) {
    this.targets.push(target);
  }
  disconnect() {
    this.disconnected = true;
  }
  async report(isIntersecting: boolean) {
    const entries = this.targets.map((target) => ({ target, isIntersecting }) as IntersectionObserverEntry);
    await act(() => this.callback(entries, this as unknown as IntersectionObserver));
  }
}

describe("a chart's drawing", () => {
  const name = "Bid value by status, EUR. Draft: 1,500.00 EUR (2 bids); Submitted: none";
  beforeEach(() => {
    FakeObserver.made = [];
    vi.stubGlobal("IntersectionObserver", FakeObserver);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("is built with the chart when it can be in view at first, without an observer", async () => {
    const root = await mount(<BarChart eager title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />);
    expect(find(root, "svg[role=img]").getAttribute("aria-label")).toBe(name);
    expect(root.querySelectorAll("rect.bar")).toHaveLength(2);
    expect(find(root, ".drawing").dataset.drawn).toBe("at-first");
    expect(FakeObserver.made).toHaveLength(0);
  });

  it("otherwise waits, named with every figure, until it comes within a window's height of the view", async () => {
    const root = await mount(
      <div class="scroller" style="overflow-y: auto">
        <BarChart eager={false} title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />
      </div>,
    );
    expect(root.querySelector("svg")).toBeNull();
    expect(find(root, ".drawing [role=img]").getAttribute("aria-label")).toBe(name);
    expect(find(root, ".drawing").dataset.drawn).toBeUndefined();
    expect(find(root, ".chart-figures button").textContent).toBe("Show the figures");

    const [observer] = FakeObserver.made;
    expect(FakeObserver.made).toHaveLength(1);
    expect(observer?.targets).toEqual([find(root, ".drawing")]);
    expect(observer?.options.root).toBe(find(root, ".scroller"));
    expect(observer?.options.rootMargin).toBe("100% 0px");

    await observer?.report(false);
    expect(root.querySelector("svg")).toBeNull();
    await observer?.report(true);
    expect(find(root, "svg[role=img]").getAttribute("aria-label")).toBe(name);
    expect(root.querySelectorAll(".drawing [role=img]")).toHaveLength(1);
    expect(find(root, ".drawing").dataset.drawn).toBe("near-view");
    expect(observer?.disconnected).toBe(true);
  });

  it("of a rate chart waits the same way", async () => {
    const points = [{ label: "Nov 26", rate: 0.5, text: "50 % (1 of 2)" }];
    const root = await mount(<RateChart eager={false} title="Share of decided bids won" points={points} />);
    expect(root.querySelector("svg")).toBeNull();
    expect(find(root, "[role=img]").getAttribute("aria-label")).toBe("Share of decided bids won. Nov 26: 50 % (1 of 2)");
    await FakeObserver.made[0]?.report(true);
    expect(root.querySelectorAll("circle.dot")).toHaveLength(1);
  });

  it("counts as many charts in view as the narrowest panel's fit in the window's height", () => {
    expect(chartsAtFirst(800)).toBe(4);
    expect(chartsAtFirst(1080)).toBe(6);
    expect(chartsAtFirst(2160)).toBe(11);
    expect(chartsAtFirst(150)).toBe(1);
  });
});
