import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));

import { dismiss, notices, notify } from "./state";

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
