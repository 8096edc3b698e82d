// The task form, to add a task or edit one: title, due time, reminder time,
// repeat, what the task is about (chosen when adding) and notes. An edit
// sends only what changed. The core checks every field; its refusal is
// shown beside the field it names (api.formErrors).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { NewTask } from "../bindings/NewTask";
import type { Subject } from "../bindings/Subject";
import type { Task } from "../bindings/Task";
import type { TaskPatch } from "../bindings/TaskPatch";
import type { TaskRepeat } from "../bindings/TaskRepeat";
import { Field } from "./Field";
import { SelectField } from "./records/SelectField";
import { formKeys } from "./records/keys";
import { FormActions } from "./records/RecordForm";
import { SubjectLink, SubjectPicker } from "./Subjects";

/** "2026-11-20T14:30" (local, from datetime-local) -> UTC ISO for the core. */
export function localToUtc(value: string): string | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** UTC ISO -> "2026-11-20T14:30" in local time, for a datetime-local input. */
export function utcToLocal(iso: string | null): string {
  if (!iso) return "";
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export const REPEATS: readonly (readonly [TaskRepeat | "", string])[] = [
  ["", "Does not repeat"],
  ["daily", "Every day"],
  ["weekly", "Every week"],
  ["monthly", "Every month"],
];

/** The core's field names → this form's. */
const FIELD_OF: Record<string, string> = {
  title: "title",
  notes: "notes",
  due_at: "due",
  remind_at: "remind",
  repeat: "repeat",
  on: "about",
  subject: "about",
};

export function TaskForm(props: { onSaved: (task: Task) => void; onCancel: () => void; about?: Subject | null; task?: Task }) {
  const editing = props.task;
  const [title, setTitle] = useState(editing?.title ?? "");
  const [due, setDue] = useState(utcToLocal(editing?.due_at ?? null));
  const [remind, setRemind] = useState(utcToLocal(editing?.remind_at ?? null));
  const [repeat, setRepeat] = useState<TaskRepeat | "">(editing?.repeat ?? "");
  const [about, setAbout] = useState<Subject | null>(props.about ?? null);
  const [notes, setNotes] = useState(editing?.notes ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.getElementById("field-task-title")?.focus();
  }, []);

  /** The task to create, or the field errors found before asking the core. */
  function read(): { task: NewTask } | { errors: Record<string, string> } {
    const found: Record<string, string> = {};
    if (!title.trim()) found["title"] = "Say what needs doing.";
    const dueAt = localToUtc(due);
    const remindAt = localToUtc(remind);
    if (due && !dueAt) found["due"] = "Pick a date and time.";
    if (remind && !remindAt) found["remind"] = "Pick a date and time.";
    if (repeat && !dueAt && !remindAt) found["repeat"] = "A repeating task needs a due or reminder time.";
    if (Object.keys(found).length > 0) return { errors: found };
    // The core's optional fields are left out, not sent as null.
    const task: NewTask = { title: title.trim(), notes };
    if (dueAt) task.due_at = dueAt;
    if (remindAt) task.remind_at = remindAt;
    if (repeat) task.repeat = repeat;
    if (about) task.subject = about;
    return { task };
  }

  async function submit(e: Event) {
    e.preventDefault();
    const form = read();
    if ("errors" in form) {
      setErrors(form.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      props.onSaved(editing ? await api.tasks.update(editing.id, changes(editing, form.task)) : await api.tasks.create(form.task));
    } catch (raw) {
      setErrors(api.formErrors(api.asApiError(raw), (field) => FIELD_OF[field]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      class="pipeline-form"
      onSubmit={submit}
      aria-label={editing ? `Edit task ${editing.title}` : "New task"}
      onKeyDown={formKeys(props.onCancel)}
    >
      <h2>{editing ? "Edit task" : "New task"}</h2>
      <Field label="Title" name="task-title" value={title} onInput={setTitle} error={errors["title"]} required autoFocus />
      <Field label="Due" name="task-due" type="datetime-local" value={due} onInput={setDue} error={errors["due"]} hint="Optional; your local time" />
      <Field
        label="Remind me"
        name="task-remind"
        type="datetime-local"
        value={remind}
        onInput={setRemind}
        error={errors["remind"]}
        hint="Optional; by default at the due time"
      />
      <SelectField label="Repeat" name="task-repeat" value={repeat} options={REPEATS} onChange={setRepeat} error={errors["repeat"]} />
      {editing ? (
        editing.subject_kind &&
        editing.subject_id && (
          <div class="field">
            <span class="label">About</span>
            <SubjectLink subject={{ kind: editing.subject_kind, id: editing.subject_id }} />
          </div>
        )
      ) : (
        <SubjectPicker value={about} onChange={setAbout} error={errors["about"]} />
      )}
      <Field label="Notes" name="task-notes" value={notes} onInput={setNotes} error={errors["notes"]} multiline />
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <FormActions busy={busy} submitLabel={editing ? "Save changes" : "Add task"} onCancel={props.onCancel} />
    </form>
  );
}

/** What an edit changes: cleared times are sent as null, the rest only when different. */
function changes(task: Task, form: NewTask): TaskPatch {
  const patch: TaskPatch = {};
  const same = (a: string | null, b: string | null) => (a === null || b === null ? a === b : Date.parse(a) === Date.parse(b));
  if (form.title !== task.title) patch.title = form.title;
  if (form.notes !== task.notes) patch.notes = form.notes;
  if (!same(form.due_at ?? null, task.due_at)) patch.due_at = form.due_at ?? null;
  if (!same(form.remind_at ?? null, task.remind_at)) patch.remind_at = form.remind_at ?? null;
  if ((form.repeat ?? null) !== task.repeat) patch.repeat = form.repeat ?? null;
  return patch;
}
