import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Task } from "../bindings/Task";
import { mount, settle } from "../testing/dom";
import { followUpTime } from "./FollowUp";
import { actedFromNotification, dueReminders, Reminders, remindersActed, showReminders, tomorrowMorning } from "./Reminders";

const task: Task = {
  id: "0190a5f0-0000-7000-8000-00000000000a",
  created_at: "2026-11-20T09:00:00Z",
  updated_at: "2026-11-20T09:00:00Z",
  deleted_at: null,
  title: "Call Ana",
  notes: "",
  due_at: "2026-11-20T10:00:00Z",
  remind_at: null,
  done_at: null,
  subject_kind: null,
  subject_id: null,
  repeat: null,
  repeat_of: null,
};

function button(root: HTMLElement, text: string): HTMLButtonElement {
  const found = [...root.querySelectorAll("button")].find((b) => b.textContent === text);
  if (!found) throw new Error(`no button ${text}`);
  return found;
}

beforeEach(() => {
  invoke.mockReset();
  invoke.mockResolvedValue(task);
  dueReminders.value = [];
});

describe("a due task's notice", () => {
  it("goes away when the OS notification's button acted on its task, and the task lists read again", async () => {
    const other = { ...task, id: "0190a5f0-0000-7000-8000-00000000000b", title: "Send the invoice" };
    showReminders([task, other]);
    const root = await mount(<Reminders />);
    const acted = remindersActed.value;
    actedFromNotification("snooze-1h", [task.id]);
    await settle();
    expect(dueReminders.value.map((t) => t.title)).toEqual(["Send the invoice"]);
    expect(root.textContent).not.toContain("Call Ana");
    expect(remindersActed.value).toBe(acted + 1);
    expect(invoke).not.toHaveBeenCalled();
  });

  it("is shown once however often the shell sends it", async () => {
    showReminders([task]);
    showReminders([task]);
    const root = await mount(<Reminders />);
    expect(root.querySelectorAll("[data-testid=reminder]").length).toBe(1);
  });

  it("snoozes for an hour and goes away", async () => {
    showReminders([task]);
    const root = await mount(<Reminders />);
    const before = Date.now();
    button(root, "Snooze 1 hour").click();
    await settle();
    const [command, args] = invoke.mock.calls[0] as [string, { id: string; until: string }];
    expect(command).toBe("snooze_task");
    expect(args.id).toBe(task.id);
    const ahead = new Date(args.until).getTime() - before;
    expect(ahead).toBeGreaterThanOrEqual(60 * 60 * 1000 - 1000);
    expect(ahead).toBeLessThanOrEqual(60 * 60 * 1000 + 1000);
    expect(dueReminders.value).toEqual([]);
  });

  it("marks the task done", async () => {
    showReminders([task]);
    const root = await mount(<Reminders />);
    button(root, "Done").click();
    await settle();
    expect(invoke).toHaveBeenCalledWith("update_task", { id: task.id, patch: { done: true } });
  });
});

describe("times", () => {
  it("tomorrow is 09:00 the next day, local time", () => {
    const at = tomorrowMorning(new Date(2026, 10, 30, 22, 15));
    expect([at.getFullYear(), at.getMonth(), at.getDate(), at.getHours(), at.getMinutes()]).toEqual([2026, 11, 1, 9, 0]);
  });

  it("a follow-up is N whole days from now, 0 to 365", () => {
    const now = new Date("2026-11-20T09:00:00Z");
    expect(followUpTime("3", now)).toBe("2026-11-23T09:00:00.000Z");
    expect(followUpTime("", now)).toBeNull();
    expect(followUpTime("-1", now)).toBeNull();
    expect(followUpTime("1.5", now)).toBeNull();
    expect(followUpTime("400", now)).toBeNull();
  });
});
