import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Activity } from "../../bindings/Activity";
import type { NewActivity } from "../../bindings/NewActivity";
import type { Subject } from "../../bindings/Subject";
import { find, mount, settle, typeInto } from "../../testing/dom";
import { note } from "../../testing/records";
import { Timeline } from "./Timeline";

const subject: Subject = { kind: "client", id: "0190a5f0-0000-7000-8000-0000000000c1" };
let logged: Activity[] = [];
let created: NewActivity[] = [];

beforeEach(() => {
  logged = [];
  created = [];
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
    if (command === "list_activities") return { items: logged, next: null };
    if (command === "create_activity") {
      const asked = args["new"] as NewActivity;
      created.push(asked);
      const made = note(logged.length + 1, subject, asked.body, asked.occurred_at ?? "2026-12-07T10:00:00Z");
      logged = [made, ...logged];
      return made;
    }
    return null;
  });
});

async function add(root: HTMLElement, body: string, when: string): Promise<void> {
  await typeInto(find(root, "#field-activity-body"), body);
  await typeInto(find(root, "#field-activity-when"), when);
  await act(async () => find<HTMLButtonElement>(root, "button.primary[type=submit]").click());
  await settle();
}

describe("adding to a timeline", () => {
  it("logs an entry now unless told when it happened", async () => {
    const root = await mount(<Timeline subject={subject} />);
    await settle();
    await add(root, "  Call about the budget ", "");
    expect(created).toEqual([{ subject, kind: "note", body: "Call about the budget" }]);
    expect(find<HTMLInputElement>(root, "#field-activity-body").value).toBe("");
  });

  it("logs a call that happened last week at the time it happened, and empties When for the next", async () => {
    const root = await mount(<Timeline subject={subject} />);
    await settle();
    await add(root, "Call about the invoice", "2026-11-30T15:30");
    expect(created).toHaveLength(1);
    expect(created[0]!.occurred_at).toBe(new Date("2026-11-30T15:30").toISOString());
    expect(find<HTMLInputElement>(root, "#field-activity-when").value).toBe("");
    expect(find(root, "ol[aria-label^='Timeline'] time").getAttribute("datetime")).toBe(new Date("2026-11-30T15:30").toISOString());
  });
});
