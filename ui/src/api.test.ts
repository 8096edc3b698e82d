import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import * as api from "./api";

beforeEach(() => {
  invoke.mockReset();
});

describe("calls go to the shell by the names and arguments commands.rs has", () => {
  it("passes a command's arguments under their camelCase names", async () => {
    invoke.mockResolvedValue(undefined);
    await api.session.unlockWithRecoveryKey("ABCD-EFGH", () => {});
    await api.clients.list({}, api.page(50));
    expect(invoke.mock.calls).toEqual([
      ["unlock_with_recovery_key", { recoveryKey: "ABCD-EFGH", onProgress: expect.any(Object) }],
      ["list_clients", { filter: {}, page: { limit: 50, sort: "newest", include_deleted: false } }],
    ]);
  });

  it("sends no arguments to a command that takes none", async () => {
    invoke.mockResolvedValue({ screen: "unlock" });
    await api.session.state();
    expect(invoke).toHaveBeenCalledWith("session_state", undefined);
  });

  it("turns whatever is thrown into an ApiError", async () => {
    // What a promise was rejected with (error-like objects confuse `rejects`).
    const failure = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => e);
    invoke.mockRejectedValue("the webview went away");
    expect(await failure(api.session.lock())).toEqual({ code: "internal", message: "the webview went away", transient: false });
    const refusal = { code: "validation", field: "email", message: "is not an e-mail address", transient: false };
    invoke.mockRejectedValue(refusal);
    expect(await failure(api.clients.create({ name: "A", kind: "person", notes: "", tags: [] }))).toBe(refusal);
  });
});

describe("a refusal reads well beside its field and in a notice", () => {
  const refusal: api.ApiError = { code: "validation", field: "due_at", message: "is not a date", transient: false };

  it("puts a validation error beside the field the form has for it", () => {
    expect(api.formErrors(refusal, (field) => (field === "due_at" ? "due" : undefined))).toEqual({ due: "is not a date" });
  });

  it("puts it above the form, naming the field, when the form has no such field", () => {
    expect(api.formErrors(refusal, () => undefined)).toEqual({ form: "due at: is not a date" });
  });

  it("keeps any other error whole", () => {
    const busy: api.ApiError = { code: "database_busy", message: "the database is busy", transient: true };
    expect(api.describe(busy)).toBe("the database is busy");
    expect(api.formErrors(busy)).toEqual({ form: "the database is busy" });
  });
});
