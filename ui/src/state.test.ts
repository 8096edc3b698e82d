import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));

import { dismiss, go, goBack, notices, notify, route, trail } from "./state";

beforeEach(() => {
  vi.useFakeTimers();
  notices.value = [];
});
afterEach(() => vi.useRealTimers());

describe("notices", () => {
  it("shows at most three, dropping the oldest news before an offer to undo", () => {
    notify("Deleted Acme", { undo: async () => {} });
    notify("Saved");
    notify("Synced");
    notify("Exported");
    expect(notices.value.map((n) => n.text)).toEqual(["Deleted Acme", "Synced", "Exported"]);
  });

  it("goes away by itself, an offer to undo later than news", () => {
    notify("Saved");
    notify("Deleted Acme", { undo: async () => {} });
    vi.advanceTimersByTime(4000);
    expect(notices.value.map((n) => n.text)).toEqual(["Deleted Acme"]);
    vi.advanceTimersByTime(4000);
    expect(notices.value).toEqual([]);
  });

  it("can be dismissed at once", () => {
    notify("Could not save", { tone: "error" });
    const [shown] = notices.value;
    expect(shown?.tone).toBe("error");
    dismiss(shown!.id);
    expect(notices.value).toEqual([]);
  });
});

describe("going back from a record's page", () => {
  const bid = { screen: "record", kind: "bid", id: "b1" } as const;
  const job = { screen: "record", kind: "job", id: "j1" } as const;
  const board = { screen: "bids" } as const;

  it("retraces the pages opened, then goes where the record lives", () => {
    go({ screen: "tasks" });
    go(bid);
    go(job);
    goBack({ screen: "jobs" });
    expect(route.value).toEqual(bid);
    goBack(board);
    expect(route.value).toEqual({ screen: "tasks" });
    goBack(board);
    expect(route.value, "nothing left to retrace").toEqual(board);
  });

  it("starts afresh on a sidebar screen, and an open page opened again adds nothing", () => {
    go({ screen: "tasks" });
    go(bid);
    go({ screen: "dashboard" });
    expect(trail.value).toEqual([]);
    go(bid);
    go(bid);
    expect(trail.value).toEqual([{ screen: "dashboard" }]);
  });
});
