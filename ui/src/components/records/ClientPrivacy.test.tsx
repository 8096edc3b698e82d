import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { find, mount, settle } from "../../testing/dom";
import { ClientConsents } from "./ClientPrivacy";

beforeEach(() => {
  invoke.mockReset();
});

describe("a client's consents", () => {
  it("says why they could not be read instead of showing nothing", async () => {
    invoke.mockImplementation((command: string) =>
      command === "consents"
        ? Promise.reject({ code: "database_busy", message: "the database is busy", transient: true })
        : Promise.resolve([]),
    );
    const root = await mount(<ClientConsents clientId="0190a4b2-0000-7000-8000-000000000001" />);
    await settle();
    expect(find(root, 'p[role="alert"]').textContent).toMatch(/^Could not load the consents \(database_busy\)/);
    expect(root.querySelector("dl.facts")).toBeNull();
  });
});
