import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Dashboard as Figures } from "../bindings/Dashboard";
import { dayText } from "../dates";
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
    expect(charts[0]?.querySelector("svg")?.getAttribute("aria-label")).toContain("Draft: 1,573.88 EUR (3 bids)");
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
    expect(charts[0]?.querySelector("svg")?.getAttribute("aria-label")).toContain("175.59 EUR");
  });
});
