import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Dashboard as Figures } from "../bindings/Dashboard";
import { dayText, monthText } from "../dates";
import { find, mount, settle } from "../testing/dom";
import { Dashboard } from "./Dashboard";

const perCurrency: Figures = {
  now: "2026-12-04T10:00:00Z",
  pipeline: [
    { status: "draft", currency: "EUR", count: 2, amount_minor: 150_000 },
    { status: "draft", currency: "JPY", count: 1, amount_minor: 120_000 },
    { status: "submitted", currency: "VND", count: 1, amount_minor: 5_000_000 },
  ],
  home: null,
  win_rate: [{ month: "2026-12", awarded: 0, rejected: 0, rate: null }],
  earnings: [],
  tasks: { overdue: 0, due_today: 0, upcoming: 0, undated: 0 },
  upcoming: [],
};

function pipelineCharts(root: HTMLElement): HTMLElement[] {
  const section = find(root, 'section[aria-labelledby="dash-pipeline"]');
  return [...section.querySelectorAll<HTMLElement>("figure.chart")];
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Dashboard pipeline", () => {
  it("draws a chart per currency without a home currency", async () => {
    invoke.mockResolvedValue(perCurrency);
    const root = await mount(<Dashboard />);
    await settle();
    const captions = pipelineCharts(root).map((c) => c.querySelector("figcaption")?.textContent);
    expect(captions).toEqual(["In EUR", "In JPY", "In VND"]);
  });

  it("draws one chart in the home currency with the rates' day and names what had no rate", async () => {
    invoke.mockResolvedValue({
      ...perCurrency,
      home: {
        currency: "EUR",
        pipeline: [{ status: "draft", count: 3, amount_minor: 157_388 }],
        earnings: [],
        rates_date: "2026-12-04",
        without_rate: ["VND"],
      },
    });
    const root = await mount(<Dashboard />);
    await settle();
    const charts = pipelineCharts(root);
    expect(charts).toHaveLength(1);
    const caption = charts[0]?.querySelector("figcaption")?.textContent;
    expect(caption).toBe(`In EUR, at rates of ${dayText("2026-12-04")}`);
    expect(charts[0]?.querySelector("[role=img]")?.getAttribute("aria-label")).toContain("Draft: 1,573.88 EUR (3 bids)");
    expect(find(root, '[data-testid="without-rate"]').textContent).toContain("no rate to EUR: VND");
  });
});

describe("Dashboard earnings", () => {
  function earningCharts(root: HTMLElement): HTMLElement[] {
    const section = find(root, 'section[aria-labelledby="dash-earnings"]');
    return [...section.querySelectorAll<HTMLElement>("figure.chart")];
  }
  const released = {
    ...perCurrency,
    earnings: [
      { month: "2026-12", currency: "EUR", amount_minor: 10_000 },
      { month: "2026-12", currency: "JPY", amount_minor: 12_000 },
    ],
  };

  it("draws a chart per currency without a home currency", async () => {
    invoke.mockResolvedValue(released);
    const root = await mount(<Dashboard />);
    await settle();
    expect(earningCharts(root).map((c) => c.querySelector("figcaption")?.textContent)).toEqual(["In EUR", "In JPY"]);
  });

  it("draws one chart in the home currency with the rates' day", async () => {
    invoke.mockResolvedValue({
      ...released,
      home: { currency: "EUR", pipeline: [], earnings: [{ month: "2026-12", amount_minor: 17_559 }], rates_date: "2026-12-04", without_rate: [] },
    });
    const root = await mount(<Dashboard />);
    await settle();
    const charts = earningCharts(root);
    expect(charts).toHaveLength(1);
    expect(charts[0]?.querySelector("figcaption")?.textContent).toBe(`In EUR, at rates of ${dayText("2026-12-04")}`);
    expect(charts[0]?.querySelector("[role=img]")?.getAttribute("aria-label")).toContain("175.59 EUR");
  });
});

describe("Dashboard charts drawn at first", () => {
  // happy-dom's IntersectionObserver never reports: what is drawn here is what the first paint shows.
  const currencies = ["AUD", "CAD", "CHF", "EUR", "GBP", "JPY"];
  const many: Figures = {
    ...perCurrency,
    pipeline: currencies.map((currency) => ({ status: "draft", currency, count: 1, amount_minor: 100_000 })),
    win_rate: [{ month: "2026-12", awarded: 1, rejected: 1, rate: 0.5 }],
    earnings: currencies.slice(0, 3).map((currency) => ({ month: "2026-12", currency, amount_minor: 10_000 })),
  };
  function drawn(root: HTMLElement, panel: string): boolean[] {
    const section = find(root, `section[aria-labelledby="${panel}"]`);
    return [...section.querySelectorAll<HTMLElement>(".drawing")].map((d) => d.dataset.drawn === "at-first");
  }
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("are the pipeline's that fit in the window and the win rate; the earnings below wait", async () => {
    vi.spyOn(window, "innerHeight", "get").mockReturnValue(800);
    invoke.mockResolvedValue(many);
    const root = await mount(<Dashboard />);
    await settle();
    expect(drawn(root, "dash-pipeline")).toEqual([true, true, true, true, false, false]);
    expect(drawn(root, "dash-winrate")).toEqual([true]);
    expect(drawn(root, "dash-earnings")).toEqual([false, false, false]);
    // Waiting, a chart still names every figure.
    const waiting = find(root, 'section[aria-labelledby="dash-earnings"] .drawing [role=img]');
    expect(waiting.getAttribute("aria-label")).toContain(`${monthText("2026-12")}: 100.00 AUD`);
  });

  it("include the earnings a taller window shows under a short pipeline", async () => {
    vi.spyOn(window, "innerHeight", "get").mockReturnValue(1600);
    invoke.mockResolvedValue(many);
    const root = await mount(<Dashboard />);
    await settle();
    expect(drawn(root, "dash-pipeline")).toEqual([true, true, true, true, true, true]);
    expect(drawn(root, "dash-earnings")).toEqual([true, true, false]);
  });

  it("give an empty pipeline's place to the earnings: in the home currency with no bids, one chart's room draws them", async () => {
    vi.spyOn(window, "innerHeight", "get").mockReturnValue(150);
    invoke.mockResolvedValue({
      ...many,
      pipeline: [],
      home: { currency: "EUR", pipeline: [], earnings: [{ month: "2026-12", amount_minor: 17_559 }], rates_date: "2026-12-04", without_rate: [] },
    });
    const root = await mount(<Dashboard />);
    await settle();
    expect(find(root, 'section[aria-labelledby="dash-pipeline"]').textContent).toContain("No bids yet.");
    expect(drawn(root, "dash-earnings")).toEqual([true]);
  });
});
