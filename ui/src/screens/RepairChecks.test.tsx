import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { act } from "preact/test-utils";
import type { SearchIndexReport } from "../bindings/SearchIndexReport";
import { find, mount, settle } from "../testing/dom";
import { KeptTotalsCheck, SearchIndexCheck } from "./Settings";

const inStep: SearchIndexReport = { documents: 1200, missing: 0, orphaned: 0, stale: 0, damaged: false, repaired: false };

beforeEach(() => {
  invoke.mockReset();
});

describe("Settings → Search index", () => {
  it("checks only when asked, with repair, and says the index is in step", async () => {
    invoke.mockResolvedValue(inStep);
    const root = await mount(<SearchIndexCheck />);
    await settle();
    expect(invoke).not.toHaveBeenCalled();
    expect(find(root, '[role="status"]').textContent).toBe("Not checked yet.");
    find<HTMLButtonElement>(root, 'button[aria-label="Check and repair the search index"]').click();
    await settle();
    expect(invoke).toHaveBeenCalledWith("check_search_index", undefined);
    expect(find(root, '[role="status"]').textContent).toBe("In step with the records (1200 entries).");
  });

  it("names what it mended", async () => {
    invoke.mockResolvedValue({ ...inStep, missing: 2, stale: 1, orphaned: 0, damaged: true, repaired: true });
    const root = await mount(<SearchIndexCheck />);
    find<HTMLButtonElement>(root, "button").click();
    await settle();
    expect(find(root, '[role="status"]').textContent).toBe(
      "Repaired: 2 missing, 1 out of date, its structure damaged. Now in step (1200 entries).",
    );
  });

  it("says why it could not check", async () => {
    invoke.mockRejectedValue({ code: "database_busy", message: "the database is busy", transient: true });
    const root = await mount(<SearchIndexCheck />);
    await act(() => find<HTMLButtonElement>(root, "button").click());
    await settle();
    expect(find(root, '[role="status"]').textContent).toMatch(/^Could not check \(database_busy\): the database is busy/);
  });
});

describe("Settings → Board and dashboard totals", () => {
  it("checks only when asked, with repair, and says the totals agree", async () => {
    invoke.mockResolvedValue({ disagreeing: 0, repaired: false });
    const root = await mount(<KeptTotalsCheck />);
    await settle();
    expect(invoke).not.toHaveBeenCalled();
    expect(find(root, '[role="status"]').textContent).toBe("Not checked yet.");
    find<HTMLButtonElement>(root, 'button[aria-label="Check and repair the board and dashboard totals"]').click();
    await settle();
    expect(invoke).toHaveBeenCalledWith("check_kept_totals", undefined);
    expect(find(root, '[role="status"]').textContent).toBe("In step with the records.");
  });

  it("says how many totals it mended", async () => {
    invoke.mockResolvedValue({ disagreeing: 3, repaired: true });
    const root = await mount(<KeptTotalsCheck />);
    find<HTMLButtonElement>(root, "button").click();
    await settle();
    expect(find(root, '[role="status"]').textContent).toBe("Repaired: 3 totals disagreed with the records. Now in step.");
  });

  it("says why it could not check", async () => {
    invoke.mockRejectedValue({ code: "database_busy", message: "the database is busy", transient: true });
    const root = await mount(<KeptTotalsCheck />);
    await act(() => find<HTMLButtonElement>(root, "button").click());
    await settle();
    expect(find(root, '[role="status"]').textContent).toMatch(/^Could not check \(database_busy\): the database is busy/);
  });
});
