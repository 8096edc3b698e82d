// Tasks: open ones grouped overdue / due today / upcoming / no date (in local
// time), done ones behind a toggle; add a task; tick to complete, with undo;
// each shows what it is about (a link) and how it repeats. "Export calendar"
// writes the open tasks and unpaid milestones as an .ics file.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { Task } from "../bindings/Task";
import type { TaskRepeat } from "../bindings/TaskRepeat";
import { remindersActed } from "../components/Reminders";
import { SubjectLink } from "../components/Subjects";
import { TaskForm } from "../components/TaskForm";
import { loadAll } from "../loadAll";
import { ShowMore, useShownCounts } from "../components/ShowMore";
import { notify } from "../state";
import "./pipeline.css";

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

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function group(tasks: Task[], now: Date) {
  const endOfToday = new Date(now);
  endOfToday.setHours(24, 0, 0, 0);
  const out = { overdue: [] as Task[], today: [] as Task[], upcoming: [] as Task[], undated: [] as Task[] };
  for (const t of tasks) {
    if (!t.due_at) out.undated.push(t);
    else {
      const due = new Date(t.due_at);
      if (due < now) out.overdue.push(t);
      else if (due < endOfToday) out.today.push(t);
      else out.upcoming.push(t);
    }
  }
  const byDue = (a: Task, b: Task) => (a.due_at ?? "").localeCompare(b.due_at ?? "");
  out.overdue.sort(byDue);
  out.today.sort(byDue);
  out.upcoming.sort(byDue);
  return out;
}

export function Tasks() {
  const [open, setOpen] = useState<Task[] | null>(null);
  const [done, setDone] = useState<Task[] | null>(null);
  const [showDone, setShowDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const shown = useShownCounts<string>();

  async function load() {
    try {
      const { items } = await loadAll((after) => api.tasks.list({ done: false }, api.page(500, after, "oldest")));
      setOpen(items);
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

  // Again when a reminder's notice snoozed or finished a task.
  useEffect(() => {
    void load();
  }, [remindersActed.value]);
  useEffect(() => {
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

  const groups = open ? group(open, new Date()) : null;
  const sections: [string, string, Task[]][] = groups
    ? [
        ["overdue", "Overdue", groups.overdue],
        ["today", "Due today", groups.today],
        ["upcoming", "Upcoming", groups.upcoming],
        ["undated", "No date", groups.undated],
      ]
    : [];

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
      {open === null && !error && <p aria-busy="true">Loading tasks…</p>}
      {open !== null && open.length === 0 && !adding && (
        <div class="empty">
          <p>Nothing to do.</p>
          <p>
            Choose <strong>Add task</strong> to note a follow-up, with a due time if it has one.
          </p>
        </div>
      )}
      {sections
        .filter(([, , list]) => list.length > 0)
        .map(([key, title, list]) => (
          <section key={key} class={`task-group ${key}`} aria-labelledby={`tasks-${key}`}>
            <h2 id={`tasks-${key}`}>
              {title} <span class="count">{list.length}</span>
            </h2>
            <ul class="task-list">
              {list.slice(0, shown.limit(key)).map((t) => (
                <TaskRow key={t.id} task={t} onToggle={(v) => void setDoneState(t, v)} onChanged={() => void load()} />
              ))}
            </ul>
            <ShowMore hidden={list.length - shown.limit(key)} what={`${title.toLowerCase()} tasks`} onMore={() => shown.more(key)} />
          </section>
        ))}
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
        {task.due_at && <span class="muted small"> · due {when(task.due_at)}</span>}
        {task.remind_at && task.remind_at !== task.due_at && <span class="muted small"> · reminds {when(task.remind_at)}</span>}
        {task.repeat && <span class="muted small" data-testid="task-repeat"> · repeats {REPEAT_TEXT[task.repeat]}</span>}
        {task.done_at && <span class="muted small"> · done {when(task.done_at)}</span>}
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
