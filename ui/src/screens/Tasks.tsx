// Tasks: open ones grouped overdue / due today / upcoming / no date (in local
// time), done ones behind a toggle; add a task; tick to complete, with undo;
// each shows what it is about (a link) and how it repeats. "Export calendar"
// writes the open tasks and unpaid milestones as an .ics file. Each group is
// read from the core on its own, soonest due first, a screenful at a time
// with its count: every open task can be reached however many there are.
import { useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Subject } from "../bindings/Subject";
import type { Task } from "../bindings/Task";
import type { TaskCounts } from "../bindings/TaskCounts";
import type { TaskRepeat } from "../bindings/TaskRepeat";
import { remindersActed } from "../components/Reminders";
import { readSubjectNames, SubjectLink } from "../components/Subjects";
import { TaskForm } from "../components/TaskForm";
import { ShowMore, useFocusShown, usePagedParts } from "../components/ShowMore";
import { notify } from "../state";
import "./pipeline.css";
import { dateTimeText } from "../dates";

const REPEAT_TEXT: Record<TaskRepeat, string> = { daily: "every day", weekly: "every week", monthly: "every month" };

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The save dialog, then the calendar file; a cancelled dialog does nothing. */
async function exportCalendar(): Promise<void> {
  try {
    const file = await api.portability.chooseSavePath(`bidwell-calendar-${today()}.ics`, "calendar");
    if (!file) return;
    const summary = await api.portability.exportIcs(file);
    notify(`Wrote ${summary.tasks} tasks and ${summary.milestones} milestones to ${summary.path}.`);
  } catch (raw) {
    notify(`The calendar export failed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
  }
}


type GroupKey = "overdue" | "today" | "upcoming" | "undated";
const GROUPS: readonly GroupKey[] = ["overdue", "today", "upcoming", "undated"];
const GROUP_TITLE: Record<GroupKey, string> = { overdue: "Overdue", today: "Due today", upcoming: "Upcoming", undated: "No date" };
const GROUP_COUNT: Record<GroupKey, keyof TaskCounts> = {
  overdue: "overdue",
  today: "due_today",
  upcoming: "upcoming",
  undated: "undated",
};

/** Each group starts with this many tasks, about a screenful; "Show more" doubles it. */
export const TASKS_AT_FIRST = 20;

/** The end of the local day `now` is in: "due today" is the user's day, not UTC's. */
export function endOfDay(now: Date): Date {
  const end = new Date(now);
  end.setHours(24, 0, 0, 0);
  return end;
}

/** What the core lists for each group: open tasks by due time (soonest first), undated ones oldest first. */
function groupPage(key: GroupKey, now: Date, dayEnd: Date, limit: number, after: string | null) {
  const [from, before] = [now.toISOString(), dayEnd.toISOString()];
  switch (key) {
    case "overdue":
      return api.tasks.list({ due_before: from }, api.page(limit, after, "due"));
    case "today":
      return api.tasks.list({ due_from: from, due_before: before }, api.page(limit, after, "due"));
    case "upcoming":
      return api.tasks.list({ due_from: before }, api.page(limit, after, "due"));
    case "undated":
      return api.tasks.list({ done: false, dated: false }, api.page(limit, after, "oldest"));
  }
}

/** What a task is about, if anything. */
function subjectOf(task: Task): Subject[] {
  return task.subject_kind && task.subject_id ? [{ kind: task.subject_kind, id: task.subject_id }] : [];
}

export function Tasks() {
  const [counts, setCounts] = useState<TaskCounts | null>(null);
  const [done, setDone] = useState<Task[] | null>(null);
  const [showDone, setShowDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  // The groups' bounds, set when they are read: a group's later pages keep them.
  const day = useRef({ now: new Date(), end: endOfDay(new Date()) });
  const open = usePagedParts<GroupKey, Task>(
    GROUPS,
    TASKS_AT_FIRST,
    (key, limit, after) => groupPage(key, day.current.now, day.current.end, limit, after),
    // Drawn once, with the names of what the tasks are about.
    { prepare: (tasks) => readSubjectNames(tasks.flatMap(subjectOf)) },
  );
  const shown = useFocusShown();

  /** Every group as far as it is shown, and their counts, read at once. */
  async function load() {
    const now = new Date();
    day.current = { now, end: endOfDay(now) };
    try {
      const [counted] = await Promise.all([api.tasks.countOpen(now.toISOString(), day.current.end.toISOString()), open.reload()]);
      setCounts(counted);
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }
  async function loadDone() {
    try {
      setDone((await api.tasks.list({ done: true }, api.page(100, null, "updated"))).items);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }

  async function showMore(key: GroupKey) {
    shown.focusFrom(`tasks-${key}`, open.parts?.[key].items.length ?? 0);
    try {
      await open.more(key);
    } catch (raw) {
      shown.cancel();
      notify(`More tasks could not be read: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  // Again when a reminder's notice snoozed or finished a task.
  useReadEffect(() => {
    void load();
  }, [remindersActed.value]);
  useReadEffect(() => {
    if (showDone) void loadDone();
  }, [showDone]);

  async function setDoneState(task: Task, isDone: boolean) {
    try {
      await api.tasks.update(task.id, { done: isDone });
      await load();
      if (showDone) await loadDone();
      if (isDone) {
        notify(`Done: ${task.title}`, {
          undo: async () => {
            await api.tasks.update(task.id, { done: false });
            await load();
            if (showDone) await loadDone();
          },
        });
      } else notify(`Reopened: ${task.title}`);
    } catch (raw) {
      notify(`The task could not be changed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  const loaded = open.parts !== null && counts !== null;
  const total = counts ? GROUPS.reduce((n, key) => n + counts[GROUP_COUNT[key]], 0) : 0;

  return (
    <div class="pipeline tasks">
      <div class="toolbar">
        <h1>Tasks</h1>
        <label class="check">
          <input type="checkbox" checked={showDone} onChange={(e) => setShowDone(e.currentTarget.checked)} />
          Show done
        </label>
        <button onClick={() => void exportCalendar()} title="Open tasks and unpaid milestones, for Google Calendar, Outlook, Apple Calendar or Thunderbird">
          Export calendar (.ics)…
        </button>
        <button class="primary" onClick={() => setAdding(true)} disabled={adding}>
          Add task
        </button>
      </div>
      {adding && (
        <TaskForm
          onCancel={() => setAdding(false)}
          onSaved={(task) => {
            setAdding(false);
            void load();
            notify(`Added "${task.title}".`);
          }}
        />
      )}
      {error && (
        <p class="form-error" role="alert">
          Tasks could not be loaded: {error} <button onClick={() => void load()}>Try again</button>
        </p>
      )}
      {!loaded && !error && <p aria-busy="true">Loading tasks…</p>}
      {loaded && total === 0 && !adding && (
        <div class="empty">
          <p>Nothing to do.</p>
          <p>
            Choose <strong>Add task</strong> to note a follow-up, with a due time if it has one.
          </p>
        </div>
      )}
      {loaded &&
        GROUPS.map((key) => {
          const { items, next } = open.parts![key];
          const count = Math.max(counts![GROUP_COUNT[key]], items.length);
          if (count === 0) return null;
          const title = GROUP_TITLE[key];
          return (
            <section key={key} class={`task-group ${key}`} aria-labelledby={`tasks-${key}`}>
              <h2 id={`tasks-${key}`}>
                {title} <span class="count">{count}</span>
              </h2>
              <ul class="task-list" data-list={`tasks-${key}`}>
                {items.map((t) => (
                  <TaskRow key={t.id} task={t} onToggle={(v) => void setDoneState(t, v)} onChanged={() => void load()} />
                ))}
              </ul>
              <ShowMore
                hidden={next === null ? 0 : Math.max(count - items.length, 1)}
                what={`${title.toLowerCase()} tasks`}
                onMore={() => void showMore(key)}
              />
            </section>
          );
        })}
      {showDone && (
        <section class="task-group done" aria-labelledby="tasks-done">
          <h2 id="tasks-done">Done</h2>
          {done && done.length === 0 && <p class="muted">No finished tasks yet.</p>}
          <ul class="task-list">
            {(done ?? []).map((t) => (
              <TaskRow key={t.id} task={t} onToggle={(v) => void setDoneState(t, v)} onChanged={() => void loadDone()} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function TaskRow({ task, onToggle, onChanged }: { task: Task; onToggle: (done: boolean) => void; onChanged: () => void }) {
  const id = `task-${task.id}`;
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <li class="task editing">
        <TaskForm
          task={task}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onChanged();
            notify(`Saved "${saved.title}".`);
          }}
        />
      </li>
    );
  }
  async function remove() {
    try {
      await api.remove("task", task.id);
      onChanged();
      notify(`Deleted "${task.title}"`, {
        undo: async () => {
          await api.restore("task", task.id);
          onChanged();
        },
      });
    } catch (raw) {
      notify(`The task could not be deleted: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }
  return (
    <li class={task.done_at ? "task is-done" : "task"}>
      <input id={id} type="checkbox" checked={task.done_at !== null} onChange={(e) => onToggle(e.currentTarget.checked)} />
      <label for={id}>
        <span class="task-title">{task.title}</span>
        {task.due_at && <span class="muted small"> · due {dateTimeText(task.due_at)}</span>}
        {task.remind_at && task.remind_at !== task.due_at && <span class="muted small"> · reminds {dateTimeText(task.remind_at)}</span>}
        {task.repeat && <span class="muted small" data-testid="task-repeat"> · repeats {REPEAT_TEXT[task.repeat]}</span>}
        {task.done_at && <span class="muted small"> · done {dateTimeText(task.done_at)}</span>}
        {task.notes && <span class="task-notes muted small">{task.notes}</span>}
      </label>
      {task.subject_kind && task.subject_id && <SubjectLink subject={{ kind: task.subject_kind, id: task.subject_id }} />}
      <button class="link small" onClick={() => setEditing(true)} aria-label={`Edit task ${task.title}`}>
        Edit
      </button>
      <button class="link small" onClick={() => void remove()} aria-label={`Delete task ${task.title}`}>
        Delete
      </button>
    </li>
  );
}
