import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type * as api from "../api";
import type { SessionState } from "../bindings/SessionState";
import { find, mount, settle, typeInto } from "../testing/dom";
import { Unlock } from "./Unlock";

const locked: SessionState = {
  workspace: { state: "locked", name: "Acme books", protection: "passphrase" },
  unlocked: false,
  data_dir: "/tmp/bidwell",
  unconfirmed_recovery_key: null,
};

type Channel = { onmessage: (p: api.Progress) => void };

beforeEach(() => {
  invoke.mockReset();
});

describe("Unlock", () => {
  it("says while it waits that the first unlock after an update backs up, then updates", async () => {
    let report: Channel["onmessage"] = () => {};
    let finish: () => void = () => {};
    invoke.mockImplementation((command: string, args?: { onProgress?: Channel }) => {
      if (command !== "unlock") return Promise.resolve(locked);
      report = (p) => args?.onProgress?.onmessage(p);
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const root = await mount(<Unlock state={locked} />);
    await typeInto(root.querySelector('input[name="passphrase"]'), "correct horse");
    find<HTMLButtonElement>(root, 'button[type="submit"]').click();
    await settle();
    expect(invoke).toHaveBeenCalledWith("unlock", { passphrase: "correct horse", onProgress: expect.any(Object) });
    expect(root.querySelector('[data-testid="unlock-update"]')).toBeNull();
    expect(find(root, 'button[type="submit"]').textContent).toBe("Unlocking…");

    report({ ticket: 1, phase: "backing up before the update", done: 0, total: 2 });
    await settle();
    const status = find(root, '[data-testid="unlock-update"]');
    expect(status.getAttribute("role")).toBe("status");
    expect(status.textContent).toContain("Backing up before the update: step 1 of 2.");
    expect(status.textContent).toContain("Settings → Backups keeps that backup");
    expect(find(root, 'button[type="submit"]').textContent).toBe("Updating…");

    report({ ticket: 1, phase: "updating the workspace", done: 1, total: 2 });
    await settle();
    expect(find(root, '[data-testid="unlock-update"]').textContent).toContain("Updating the workspace: step 2 of 2.");

    finish();
    await settle();
    expect(root.querySelector('[data-testid="unlock-update"]')).toBeNull();
    expect(invoke).toHaveBeenCalledWith("session_state", undefined);
  });
});
