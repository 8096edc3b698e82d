import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { act } from "preact/test-utils";
import type { PageRequest } from "../bindings/PageRequest";
import type { Subject } from "../bindings/Subject";
import type { Task } from "../bindings/Task";
import type { TaskFilter } from "../bindings/TaskFilter";
import { find, mount, settle } from "../testing/dom";
import { endOfDay, Tasks, TASKS_AT_FIRST } from "./Tasks";

const NOW = new Date("2026-11-20T10:00:00Z");
const HOUR = 60 * 60 * 1000;

let tasks: Task[] = [];

/** A task `hours` from NOW (none: undated), about a client of its own, made in the order asked. */
function task(title: string, hours: number | null, about: string | null): Task {
  const n = tasks.length + 1;
  return {
    id: `0190a5f0-0000-7000-8000-${String(n).padStart(12, "0")}`,
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    deleted_at: null,
    title,
    notes: "",
    due_at: hours === null ? null : new Date(NOW.getTime() + hours * HOUR).toISOString(),
    remind_at: null,
    done_at: null,
    subject_kind: about ? "client" : null,
    subject_id: about,
    repeat: null,
    repeat_of: null,
  };
}

/** The core's tasks list over `tasks`: its filters, its orders, keyset pages (the cursor is a position here). */
function listTasks(filter: TaskFilter, page: PageRequest) {
  const due = (t: Task) => (t.due_at ? new Date(t.due_at).getTime() : null);
  let found = tasks.filter((t) => {
    if (filter.done !== undefined && (t.done_at !== null) !== filter.done) return false;
    if (filter.dated !== undefined && (t.due_at !== null) !== filter.dated) return false;
    const d = due(t);
    if (filter.due_before && (t.done_at !== null || d === null || d >= Date.parse(filter.due_before))) return false;
    if (filter.due_from && (t.done_at !== null || d === null || d < Date.parse(filter.due_from))) return false;
    return true;
  });
  if (page.sort === "due") found = [...found].sort((a, b) => (due(a) ?? -Infinity) - (due(b) ?? -Infinity) || a.id.localeCompare(b.id));
  else if (page.sort === "oldest") found = [...found].sort((a, b) => a.id.localeCompare(b.id));
  else throw new Error(`the task list does not sort by ${page.sort}`);
  const start = page.after ? Number(page.after) : 0;
  const end = start + page.limit;
  return { items: found.slice(start, end), next: end < found.length ? String(end) : null };
}

function countOpen(now: string, dayEnd: string) {
  const open = tasks.filter((t) => t.done_at === null);
  const due = (t: Task) => Date.parse(t.due_at!);
  return {
    overdue: open.filter((t) => t.due_at && due(t) < Date.parse(now)).length,
    due_today: open.filter((t) => t.due_at && due(t) >= Date.parse(now) && due(t) < Date.parse(dayEnd)).length,
    upcoming: open.filter((t) => t.due_at && due(t) >= Date.parse(dayEnd)).length,
    undated: open.filter((t) => !t.due_at).length,
  };
}

function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "list_tasks":
      return listTasks(args.filter as TaskFilter, args.page as PageRequest);
    case "count_open_tasks":
      return countOpen(args.now as string, args.dayEnd as string);
    case "subject_names":
      return (args.subjects as Subject[]).map((s) => ({ ...s, name: `Name of ${s.id}` }));
    case "update_task": {
      const { id, patch } = args as { id: string; patch: { done?: boolean } };
      tasks = tasks.map((t) => (t.id === id ? { ...t, done_at: patch.done ? NOW.toISOString() : null } : t));
      return tasks.find((t) => t.id === id);
    }
    default:
      throw new Error(`unexpected command ${command}`);
  }
}

function calls(command: string): Record<string, unknown>[] {
  return invoke.mock.calls.filter(([c]) => c === command).map(([, args]) => args as Record<string, unknown>);
}

function rows(root: HTMLElement, group: string): string[] {
  return [...root.querySelectorAll(`section.task-group.${group} li .task-title`)].map((t) => t.textContent ?? "");
}

/** The subject ids of this test: each test names its own records, the window keeps names it read. */
let about = 0;
function newSubject(): string {
  about += 1;
  return `0190a5f0-0000-7000-9000-${String(about).padStart(12, "0")}`;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
  tasks = [];
  // 45 overdue (made latest-due first, so the order made is not the order shown), 3 due today, 2 undated.
  for (let i = 45; i >= 1; i--) tasks.push(task(`overdue ${i}`, -i, newSubject()));
  for (let i = 1; i <= 3; i++) tasks.push(task(`today ${i}`, i, newSubject()));
  tasks.push(task("undated 1", null, null), task("undated 2", null, newSubject()));
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the task list", () => {
  it("draws a screenful of each group with its count, and names what they are about in one call", async () => {
    const root = await mount(<Tasks />);
    await settle();
    const overdue = rows(root, "overdue");
    expect(overdue).toHaveLength(TASKS_AT_FIRST);
    // Most overdue first.
    expect(overdue.slice(0, 3)).toEqual(["overdue 45", "overdue 44", "overdue 43"]);
    expect(find(root, "#tasks-overdue .count").textContent).toBe("45");
    expect(rows(root, "today")).toEqual(["today 1", "today 2", "today 3"]);
    expect(root.querySelector("section.task-group.upcoming")).toBeNull();
    expect(rows(root, "undated")).toEqual(["undated 1", "undated 2"]);
    expect(find(root, "section.task-group.overdue button.load-more").textContent).toBe("Show more (25 hidden)");

    // Four groups and their counts, read at once, then the shown tasks' subjects in one call.
    expect(calls("list_tasks")).toHaveLength(4);
    expect(calls("count_open_tasks")).toEqual([{ now: NOW.toISOString(), dayEnd: endOfDay(NOW).toISOString() }]);
    const named = calls("subject_names");
    expect(named).toHaveLength(1);
    expect((named[0]!.subjects as Subject[]).length).toBe(TASKS_AT_FIRST + 3 + 1);
    const links = [...root.querySelectorAll("[data-testid=task-about]")].map((l) => l.textContent);
    expect(links).toHaveLength(TASKS_AT_FIRST + 3 + 1);
    expect(links.every((l) => l?.startsWith("Client: Name of "))).toBe(true);

    // The next visit has the names already.
    invoke.mockClear();
    await mount(<Tasks />);
    await settle();
    expect(calls("subject_names")).toHaveLength(0);
    expect(calls("list_tasks")).toHaveLength(4);
  });

  it("draws the tasks once, with the names of what they are about already in their links", async () => {
    // The names' answer is held back: the tasks wait for it rather than show "…" and draw again.
    let answer: (() => void) | null = null;
    invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
      if (command === "subject_names") await new Promise<void>((resolve) => (answer = resolve));
      return core(command, args);
    });
    const root = await mount(<Tasks />);
    await settle();
    expect(calls("subject_names")).toHaveLength(1);
    expect(rows(root, "overdue")).toHaveLength(0);

    await act(() => answer!());
    await settle();
    expect(rows(root, "overdue")).toHaveLength(TASKS_AT_FIRST);
    const links = [...root.querySelectorAll("[data-testid=task-about]")].map((l) => l.textContent);
    expect(links).toHaveLength(TASKS_AT_FIRST + 3 + 1);
    expect(links.every((l) => l?.startsWith("Client: Name of "))).toBe(true);
  });

  it("still shows the tasks when their subjects' names cannot be read", async () => {
    invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
      if (command === "subject_names") throw { code: "storage", message: "disk I/O error" };
      return core(command, args);
    });
    const root = await mount(<Tasks />);
    await settle();
    expect(rows(root, "overdue")).toHaveLength(TASKS_AT_FIRST);
    const links = [...root.querySelectorAll("[data-testid=task-about]")].map((l) => l.textContent);
    expect(links).toHaveLength(TASKS_AT_FIRST + 3 + 1);
    expect(links.every((l) => l === "Client: (name not read)")).toBe(true);
  });

  it("reaches every task of a long group with Show more, each time going on from the first new one", async () => {
    const root = await mount(<Tasks />);
    await settle();
    invoke.mockClear();
    const more = () => act(() => find<HTMLButtonElement>(root, "section.task-group.overdue button.load-more").click());

    await more();
    await settle();
    expect(rows(root, "overdue")).toHaveLength(2 * TASKS_AT_FIRST);
    // Only that group's next page, after its cursor; its new subjects in one call.
    expect(calls("list_tasks")).toEqual([
      { filter: { due_before: NOW.toISOString() }, page: { limit: TASKS_AT_FIRST, after: String(TASKS_AT_FIRST), sort: "due", include_deleted: false } },
    ]);
    expect(calls("subject_names")).toHaveLength(1);
    const focused = document.activeElement as HTMLInputElement;
    expect(focused.type).toBe("checkbox");
    expect(focused.closest("li")?.querySelector(".task-title")?.textContent).toBe(`overdue ${45 - TASKS_AT_FIRST}`);

    await more();
    await settle();
    const overdue = rows(root, "overdue");
    expect(overdue).toHaveLength(45);
    expect(new Set(overdue).size).toBe(45);
    expect(root.querySelector("section.task-group.overdue button.load-more")).toBeNull();
    expect((document.activeElement as HTMLElement).closest("li")?.querySelector(".task-title")?.textContent).toBe("overdue 5");
  });

  it("after a task is done, reads each group again as far as it was shown", async () => {
    const root = await mount(<Tasks />);
    await settle();
    await act(() => find<HTMLButtonElement>(root, "section.task-group.overdue button.load-more").click());
    await settle();
    invoke.mockClear();

    const first = find<HTMLInputElement>(root, "section.task-group.overdue li input[type=checkbox]");
    await act(() => first.click());
    await settle();
    expect(calls("update_task")).toEqual([{ id: tasks[0]!.id, patch: { done: true } }]);
    const overdue = calls("list_tasks").find((c) => (c.filter as TaskFilter).due_before);
    expect((overdue!.page as PageRequest).limit).toBe(2 * TASKS_AT_FIRST);
    expect(rows(root, "overdue")).toHaveLength(2 * TASKS_AT_FIRST);
    expect(rows(root, "overdue")[0]).toBe("overdue 44");
    expect(find(root, "#tasks-overdue .count").textContent).toBe("44");
  });

  it("says there is nothing to do when no task is open", async () => {
    tasks = [];
    const root = await mount(<Tasks />);
    await settle();
    expect(root.textContent).toContain("Nothing to do.");
    expect(root.querySelectorAll("section.task-group")).toHaveLength(0);
  });
});
