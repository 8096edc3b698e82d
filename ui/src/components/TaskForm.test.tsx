import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Task } from "../bindings/Task";
import { find, mount, settle, typeInto } from "../testing/dom";
import { act } from "preact/test-utils";
import { localToUtc, TaskForm } from "./TaskForm";

const CLIENT = "0190a5f0-0000-7000-8000-000000000001";

function saved(args: { new: Partial<Task> }): Task {
  return {
    id: "0190a5f0-0000-7000-8000-00000000000a",
    created_at: "2026-11-20T09:00:00Z",
    updated_at: "2026-11-20T09:00:00Z",
    deleted_at: null,
    title: "",
    notes: "",
    due_at: null,
    remind_at: null,
    done_at: null,
    subject_kind: null,
    subject_id: null,
    repeat: null,
    repeat_of: null,
    ...args.new,
  };
}

/** Answers the commands the form makes: a search finds one client, create echoes the task. */
function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "search":
      return [{ kind: "client", id: CLIENT, title: "Ana Lima", snippet: "" }];
    case "subject_names":
      return [{ kind: "client", id: CLIENT, name: "Ana Lima" }];
    case "create_task":
      return saved(args as { new: Partial<Task> });
    default:
      throw new Error(`unexpected command ${command}`);
  }
}

beforeEach(() => {
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args));
});

async function submit(root: HTMLElement) {
  find<HTMLFormElement>(root, "form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}

async function choose(select: HTMLSelectElement, value: string) {
  await act(() => {
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

function created(): Record<string, unknown> {
  const call = invoke.mock.calls.find(([command]) => command === "create_task");
  if (!call) throw new Error("create_task was not called");
  return (call[1] as { new: Record<string, unknown> }).new;
}

describe("the task form", () => {
  it("sends the reminder time, the repeat and the record the task is about", async () => {
    const onSaved = vi.fn();
    const root = await mount(<TaskForm onSaved={onSaved} onCancel={() => {}} />);
    await typeInto(find(root, "#field-task-title"), "Send the report");
    await typeInto(find(root, "#field-task-due"), "2026-11-27T17:00");
    await typeInto(find(root, "#field-task-remind"), "2026-11-27T09:00");
    await choose(find<HTMLSelectElement>(root, "#field-task-repeat"), "weekly");
    await typeInto(find(root, "#field-task-about"), "ana");
    await settle();
    find<HTMLButtonElement>(root, ".picker button").click();
    await settle();
    expect(find(root, "[data-testid=task-about]").textContent).toBe("Client: Ana Lima");
    await submit(root);
    expect(created()).toEqual({
      title: "Send the report",
      notes: "",
      due_at: localToUtc("2026-11-27T17:00"),
      remind_at: localToUtc("2026-11-27T09:00"),
      repeat: "weekly",
      subject: { kind: "client", id: CLIENT },
    });
    expect(onSaved).toHaveBeenCalledTimes(1);
  });

  it("asks for a time before sending a repeating task", async () => {
    const root = await mount(<TaskForm onSaved={() => {}} onCancel={() => {}} />);
    await typeInto(find(root, "#field-task-title"), "Timesheet");
    await choose(find<HTMLSelectElement>(root, "#field-task-repeat"), "daily");
    await submit(root);
    expect(find(root, "#field-task-repeat-error").textContent).toBe("A repeating task needs a due or reminder time.");
    expect(invoke).not.toHaveBeenCalled();
  });

  it("shows the core's refusal of the reminder beside the reminder field", async () => {
    invoke.mockRejectedValue({ code: "validation", field: "remind_at", message: "is after the due time", transient: false });
    const onSaved = vi.fn();
    const root = await mount(<TaskForm onSaved={onSaved} onCancel={() => {}} />);
    await typeInto(find(root, "#field-task-title"), "Call Ana");
    await typeInto(find(root, "#field-task-due"), "2026-11-27T09:00");
    await typeInto(find(root, "#field-task-remind"), "2026-11-27T17:00");
    await submit(root);
    expect(find(root, "#field-task-remind-error").textContent).toBe("is after the due time");
    expect(find<HTMLInputElement>(root, "#field-task-title").value).toBe("Call Ana");
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("starts about the record it was opened from", async () => {
    const root = await mount(<TaskForm about={{ kind: "client", id: CLIENT }} onSaved={() => {}} onCancel={() => {}} />);
    await typeInto(find(root, "#field-task-title"), "Follow up");
    await submit(root);
    expect(created()["subject"]).toEqual({ kind: "client", id: CLIENT });
  });
});
