import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { SearchHit } from "../bindings/SearchHit";
import { route } from "../state";
import { find, mount, press, settle, typeInto } from "../testing/dom";
import { Overlays } from "./Overlays";

const hit = (kind: SearchHit["kind"], id: string, title: string) => ({ kind, id, title, snippet: "" }) as unknown as SearchHit;

beforeEach(() => {
  invoke.mockReset();
  route.value = { screen: "clients" };
});

describe("the command palette", () => {
  it("opens on Ctrl+K, searches as you type and opens the chosen record", async () => {
    invoke.mockImplementation(async (command: string, args: { query: string }) =>
      command === "search" && args.query === "acme" ? [hit("client", "c1", "Acme Ltd"), hit("client", "c2", "Acme GmbH")] : [],
    );
    const root = await mount(<Overlays />);
    expect(root.querySelector('[aria-label="Command palette"]')).toBeNull();
    await press("k", { ctrlKey: true });
    const input = find<HTMLInputElement>(root, '[aria-label="Search everything or type a command"]');
    await typeInto(input, "acme");
    await settle();
    const options = [...root.querySelectorAll('[role="option"]')].map((o) => o.textContent);
    expect(options).toEqual(["Acme Ltdclient", "Acme GmbHclient"]);
    await press("ArrowDown", {}, input);
    await press("Enter", {}, input);
    expect(route.value).toEqual({ screen: "client", id: "c2" });
    expect(root.querySelector('[aria-label="Command palette"]')).toBeNull();
  });

  it("shows only the answer to the newest query", async () => {
    const answers: Record<string, (hits: SearchHit[]) => void> = {};
    invoke.mockImplementation((_command: string, args: { query: string }) => new Promise((resolve) => (answers[args.query] = resolve)));
    const root = await mount(<Overlays />);
    await press("k", { ctrlKey: true });
    const input = find<HTMLInputElement>(root, '[aria-label="Search everything or type a command"]');
    await typeInto(input, "ac");
    await typeInto(input, "acme");
    answers["acme"]!([hit("client", "c1", "Acme Ltd")]);
    await settle();
    answers["ac"]!([hit("client", "c9", "Academy")]);
    await settle();
    expect([...root.querySelectorAll('[role="option"]')].map((o) => o.textContent)).toEqual(["Acme Ltdclient"]);
  });

  it("asks the core at the key press itself, and says so when the search fails", async () => {
    invoke.mockImplementation(async (_command: string, args: { query: string }) => {
      if (args.query === "ac") throw { code: "internal", message: "disk I/O error" };
      return [hit("client", "c1", "Acme Ltd")];
    });
    const root = await mount(<Overlays />);
    await press("k", { ctrlKey: true });
    const input = find<HTMLInputElement>(root, '[aria-label="Search everything or type a command"]');
    // Not from an effect run after the next frame: the command is sent while the event is handled.
    input.value = "ac";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    expect(invoke).toHaveBeenCalledWith("search", { query: "ac", limit: 20 });
    await settle();
    expect(find(root, '[role="alert"]').textContent).toContain("The search failed");
    expect(root.textContent).not.toContain("Nothing matches");
    await typeInto(input, "acme");
    await settle();
    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect([...root.querySelectorAll('[role="option"]')].map((o) => o.textContent)).toEqual(["Acme Ltdclient"]);
  });

  it("runs an action found by its words, and Alt+number switches screens", async () => {
    invoke.mockResolvedValue([]);
    const root = await mount(<Overlays />);
    await press("k", { ctrlKey: true });
    const input = find<HTMLInputElement>(root, '[aria-label="Search everything or type a command"]');
    await typeInto(input, "privacy settings");
    await settle();
    await press("Enter", {}, input);
    expect(route.value).toEqual({ screen: "settings", tab: "privacy" });
    await press("2", { altKey: true });
    expect(route.value).toEqual({ screen: "clients" });
  });
});
