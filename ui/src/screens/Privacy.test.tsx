import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => undefined }));

import type { PrivacyOverview } from "../bindings/PrivacyOverview";
import type { UsagePreview } from "../bindings/UsagePreview";
import { find, mount, settle } from "../testing/dom";
import { Analytics } from "./Privacy";

// The core's words arrive with each row; these stand in for them.
const catalogue: UsagePreview["catalogue"] = [
  { event: "screen.clients", description: "(the core's words for screen.clients)" },
  { event: "feature.client_created", description: "(the core's words for feature.client_created)" },
];

function preview(enabled: boolean, rows: UsagePreview["rows"]): UsagePreview {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.event, (totals.get(r.event) ?? 0) + r.count);
  return {
    enabled,
    rows: enabled ? rows : [],
    totals: enabled ? [...totals].map(([event, count]) => ({ event, count })) : [],
    destinations: [{ account_name: "Sim market", base_url: "http://127.0.0.1:9", endpoint: "POST /v1/analytics/events" }],
    catalogue,
  };
}

function overview(enabled: boolean): PrivacyOverview {
  return { analytics: { enabled, queued: 0, clear_webview_storage: false } } as PrivacyOverview;
}

function tableRows(root: HTMLElement): string[][] {
  const table = root.querySelector("table[aria-label='Usage counts waiting to be sent']");
  if (!table) return [];
  return [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""));
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Settings → Privacy, usage analytics", () => {
  it("says nothing is counted while off, and shows no table", async () => {
    invoke.mockImplementation(async (command: string) => (command === "usage_preview" ? preview(false, []) : undefined));
    const root = await mount(<Analytics overview={overview(false)} onChange={async () => undefined} />);
    await settle();
    expect(root.textContent).toContain("nothing is counted and nothing is sent");
    expect(tableRows(root)).toEqual([]);
  });

  it("shows each queued row with the core's words, the totals to be sent and where, and reads again on focus", async () => {
    let rows: UsagePreview["rows"] = [
      { event: "screen.clients", description: catalogue[0]!.description, day: "2026-12-04", count: 2 },
    ];
    invoke.mockImplementation(async (command: string) => (command === "usage_preview" ? preview(true, rows) : undefined));
    const root = await mount(<Analytics overview={overview(true)} onChange={async () => undefined} />);
    await settle();
    expect(tableRows(root)).toEqual([["screen.clients", "(the core's words for screen.clients)", "2026-12-04", "2"]]);
    expect(root.textContent).toContain("Sim market (POST /v1/analytics/events at http://127.0.0.1:9)");

    // Used elsewhere meanwhile: coming back to the window shows it.
    rows = [
      ...rows,
      { event: "feature.client_created", description: catalogue[1]!.description, day: "2026-12-04", count: 1 },
    ];
    await act(() => {
      window.dispatchEvent(new Event("focus"));
    });
    await settle();
    expect(tableRows(root).map((r) => [r[0], r[3]])).toEqual([
      ["screen.clients", "2"],
      ["feature.client_created", "1"],
    ]);
    expect(find(root, ".usage-queue").textContent).toContain("one total per event, without the day: screen.clients 2, feature.client_created 1.");
  });

  it("turning it off asks the core and then shows that nothing is counted", async () => {
    let enabled = true;
    const rows = [{ event: "screen.clients", description: catalogue[0]!.description, day: "2026-12-04", count: 1 }];
    invoke.mockImplementation(async (command: string, args: { enabled?: boolean }) => {
      if (command === "usage_preview") return preview(enabled, rows);
      if (command === "set_analytics") {
        enabled = args.enabled ?? enabled;
        return overview(enabled).analytics;
      }
    });
    const root = await mount(<Analytics overview={overview(true)} onChange={async () => undefined} />);
    await settle();
    expect(tableRows(root)).toHaveLength(1);
    const box = find<HTMLInputElement>(root, "input[type=checkbox]");
    await act(() => {
      box.click();
    });
    await settle();
    expect(invoke).toHaveBeenCalledWith("set_analytics", { enabled: false });
    expect(tableRows(root)).toEqual([]);
    expect(root.textContent).toContain("nothing is counted and nothing is sent");
  });
});
