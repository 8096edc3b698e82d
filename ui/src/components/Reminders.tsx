// The window's side of a task reminder. The OS notification says only that
// a task is due (its text would be kept in the OS's notification history,
// outside the encrypted workspace), and Tauri's notification plugin has no
// action buttons on desktop; so the shell also sends the due tasks to the
// window ("tasks-due"), which shows each here with Snooze 1 hour, Tomorrow
// and Done until the user picks one or dismisses it.
import { signal } from "@preact/signals";
import * as api from "../api";
import type { Task } from "../bindings/Task";
import { notify } from "../state";

export const dueReminders = signal<Task[]>([]);
/** Counts the tasks changed from a notice, so that the Tasks screen reads its list again. */
export const remindersActed = signal(0);

/** Adds newly due tasks; a task already shown is shown once. */
export function showReminders(tasks: Task[]): void {
  const shown = new Set(dueReminders.value.map((t) => t.id));
  dueReminders.value = [...dueReminders.value, ...tasks.filter((t) => !shown.has(t.id))];
}

/** The OS notification's "Snooze 1 hour" or "Done" acted on these tasks (src-tauri/reminders.rs). */
export function actedFromNotification(action: string, ids: string[]): void {
  dueReminders.value = dueReminders.value.filter((t) => !ids.includes(t.id));
  remindersActed.value += 1;
  notify(action === "done" ? "Marked done from the notification." : "Snoozed for an hour from the notification.");
}

function forget(task: Task): void {
  dueReminders.value = dueReminders.value.filter((t) => t.id !== task.id);
}

/** 09:00 tomorrow, local time: "Tomorrow" means the start of the next working day. */
export function tomorrowMorning(now: Date = new Date()): Date {
  const at = new Date(now);
  at.setDate(at.getDate() + 1);
  at.setHours(9, 0, 0, 0);
  return at;
}

async function act(task: Task, action: () => Promise<unknown>, done: string): Promise<void> {
  try {
    await action();
    forget(task);
    remindersActed.value += 1;
    notify(done);
  } catch (raw) {
    notify(`The task could not be changed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
  }
}

export function Reminders() {
  if (dueReminders.value.length === 0) return null;
  return (
    <div class="reminders" aria-label="Due tasks">
      {dueReminders.value.map((task) => (
        <div class="notice reminder" key={task.id} role="status" data-testid="reminder">
          <span>
            Due: <strong>{task.title}</strong>
          </span>
          <button
            onClick={() =>
              void act(task, () => api.tasks.snooze(task.id, new Date(Date.now() + 60 * 60 * 1000).toISOString()), "Snoozed for an hour.")
            }
          >
            Snooze 1 hour
          </button>
          <button onClick={() => void act(task, () => api.tasks.snooze(task.id, tomorrowMorning().toISOString()), "Snoozed until tomorrow.")}>
            Tomorrow
          </button>
          <button onClick={() => void act(task, () => api.tasks.update(task.id, { done: true }), `Done: ${task.title}`)}>Done</button>
          <button aria-label="Dismiss" onClick={() => forget(task)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
