import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => undefined }));

import type { PrivacyOverview } from "../bindings/PrivacyOverview";
import type { UsagePreview } from "../bindings/UsagePreview";
import { find, mount, settle } from "../testing/dom";
import { Privacy } from "./Privacy";

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
  return {
    workspace_name: "Test Studio",
    paths: { dir: "/data", database: "/data/bidwell.db", key_file: "/data/bidwell.key" },
    files: [{ path: "/data/bidwell.db", bytes: 4096 }],
    encryption: {
      cipher: "AES-256-CBC with HMAC-SHA512",
      sqlcipher_version: "4.6.1",
      crypto_provider: "openssl",
      key_wrapping: "AES-256-GCM",
      key_storage: "passphrase",
      keychain_backend: "none",
    },
    counts: { client: 3 },
    deleted: {},
    kept_anonymized: 0,
    last_export_at: null,
    consents: [],
    restricted_clients: 0,
    analytics: { enabled, queued: 0, clear_webview_storage: false },
    retention: { rules: { deleted_after_days: 30 }, last_run_at: null },
    audit_entries: 1,
    backups: { folder: "/data/backups", snapshots: 0, bytes: 0, latest: null },
  };
}

function tableRows(root: HTMLElement): string[][] {
  const table = root.querySelector("table[aria-label='Usage counts waiting to be sent']");
  if (!table) return [];
  return [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""));
}

/** The core's answers the page reads when it is drawn; anything else answers nothing. */
function core(command: string, enabled: boolean, rows: UsagePreview["rows"]): unknown {
  if (command === "privacy_overview") return overview(enabled);
  if (command === "usage_preview") return preview(enabled, rows);
  return undefined;
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Settings → Privacy, usage analytics", () => {
  it("says nothing is counted while off, and shows no table", async () => {
    invoke.mockImplementation(async (command: string) => core(command, false, []));
    const root = await mount(<Privacy />);
    await settle();
    expect(root.textContent).toContain("nothing is counted and nothing is sent");
    expect(tableRows(root)).toEqual([]);
  });

  it("shows each queued row with the core's words, the totals to be sent and where, and reads again on focus", async () => {
    let rows: UsagePreview["rows"] = [
      { event: "screen.clients", description: catalogue[0]!.description, day: "2026-12-04", count: 2 },
    ];
    invoke.mockImplementation(async (command: string) => core(command, true, rows));
    const root = await mount(<Privacy />);
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
    // Only the queue is read again for that, not the whole overview.
    expect(invoke.mock.calls.filter(([c]) => c === "privacy_overview")).toHaveLength(1);
  });

  it("draws the page once the usage queue is read too, so nothing below it moves under a click", async () => {
    const rows = [{ event: "screen.clients", description: catalogue[0]!.description, day: "2026-12-04", count: 1 }];
    let answer: (() => void) | null = null;
    invoke.mockImplementation(async (command: string) => {
      if (command === "usage_preview") await new Promise<void>((resolve) => (answer = resolve));
      return core(command, true, rows);
    });
    const root = await mount(<Privacy />);
    await settle();
    expect(root.textContent).toContain("Loading…");
    expect(root.textContent).not.toContain("Wipe this workspace");

    await act(() => answer!());
    await settle();
    expect(tableRows(root)).toHaveLength(1);
    expect(root.textContent).toContain("Wipe this workspace");
  });

  it("still draws the page when the usage queue cannot be read", async () => {
    invoke.mockImplementation(async (command: string) => {
      if (command === "usage_preview") throw { code: "storage", message: "disk I/O error" };
      return core(command, true, []);
    });
    const root = await mount(<Privacy />);
    await settle();
    expect(root.textContent).toContain("Wipe this workspace");
    expect(root.querySelector(".usage-queue")).toBeNull();
  });

  it("turning it off asks the core and then shows that nothing is counted", async () => {
    let enabled = true;
    const rows = [{ event: "screen.clients", description: catalogue[0]!.description, day: "2026-12-04", count: 1 }];
    invoke.mockImplementation(async (command: string, args: { enabled?: boolean }) => {
      if (command === "set_analytics") {
        enabled = args.enabled ?? enabled;
        return overview(enabled).analytics;
      }
      return core(command, enabled, rows);
    });
    const root = await mount(<Privacy />);
    await settle();
    expect(tableRows(root)).toHaveLength(1);
    const box = find<HTMLInputElement>(root, "#privacy-analytics + label input[type=checkbox]");
    await act(() => {
      box.click();
    });
    await settle();
    expect(invoke).toHaveBeenCalledWith("set_analytics", { enabled: false });
    expect(tableRows(root)).toEqual([]);
    expect(root.textContent).toContain("nothing is counted and nothing is sent");
  });
});
