// The timeline of any record: notes, calls, e-mails, meetings and messages,
// latest first by when they happened (the core's order, page after page),
// the latest `first` of them (`firstPage` when the screen read
// them with the rest, as a client's page does), then older ones with "Show
// older". Add one (Ctrl+Enter adds it): now, at the top, or told when it
// happened, in its place; edit or delete (with undo) each entry in place.
import { useState } from "preact/hooks";
import * as api from "../../api";
import { dateTimeText } from "../../dates";
import type { Activity } from "../../bindings/Activity";
import type { ActivityKind } from "../../bindings/ActivityKind";
import type { Page } from "../../bindings/Page";
import type { Subject } from "../../bindings/Subject";
import { Field } from "../Field";
import { errorsFrom, FormError, ListState, removeWithUndo } from "./ClientSections";
import { ACTIVITY_KINDS, labelOf } from "./labels";
import { useFocusOnMount } from "./focus";
import { formKeys } from "./keys";
import { FormActions } from "./RecordForm";
import { SelectField } from "./SelectField";
import { usePaged, useShowMore } from "./usePaged";

export function Timeline({ subject, first = 50, firstPage }: { subject: Subject; first?: number; firstPage?: Page<Activity> }) {
  const list = usePaged<Activity>((limit, after) => api.activities.list({ subject }, api.page(limit, after, "happened")), [subject.kind, subject.id], first, firstPage);
  const showMore = useShowMore(list, "timeline");
  const [kind, setKind] = useState<ActivityKind>("note");
  const [body, setBody] = useState("");
  // Empty: now. A call logged after the fact takes its place by when it happened.
  const [when, setWhen] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!body.trim()) found["body"] = "Write something first.";
    const at = when === "" ? null : new Date(when);
    if (at && Number.isNaN(at.getTime())) found["occurred_at"] = "Pick a date and time, or leave it empty for now.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await api.activities.create({ subject, kind, body: body.trim(), ...(at ? { occurred_at: at.toISOString() } : {}) });
      setBody("");
      setWhen("");
      setErrors({});
      list.reload();
    } catch (raw) {
      setErrors(errorsFrom(raw, ["body", "occurred_at"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="section" aria-labelledby="timeline-title">
      <header>
        <h2 id="timeline-title">Timeline</h2>
      </header>
      <form noValidate class="record-form" onSubmit={submit} aria-label="Add note" onKeyDown={formKeys()}>
        <SelectField label="Kind" name="activity-kind" value={kind} options={ACTIVITY_KINDS} onChange={setKind} />
        <Field label="When" name="activity-when" type="datetime-local" value={when} onInput={setWhen} error={errors["occurred_at"]} hint="Empty: now" />
        <div class="wide">
          <Field label="Add note" name="activity-body" value={body} onInput={setBody} error={errors["body"]} multiline hint="Ctrl+Enter adds it" />
        </div>
        <FormError errors={errors} />
        <div class="actions">
          <button class="primary" type="submit" disabled={busy}>
            Add {labelOf(ACTIVITY_KINDS, kind).toLowerCase()}
          </button>
        </div>
      </form>
      <ListState loading={list.loading} error={list.error} count={list.items.length} empty="Nothing logged yet." />
      <ol class="items timeline" aria-label="Timeline, newest first" data-list="timeline">
        {list.items.map((a) => {
          if (editing === a.id)
            return (
              <li key={a.id}>
                <EditEntry
                  entry={a}
                  onDone={() => {
                    setEditing(null);
                    list.reload();
                  }}
                  onCancel={() => setEditing(null)}
                />
              </li>
            );
          const when = dateTimeText(a.occurred_at);
          return (
            <li key={a.id}>
              <span class="when">
                <span class="pill">{labelOf(ACTIVITY_KINDS, a.kind)}</span>
                <br />
                <time dateTime={a.occurred_at}>{when}</time>
              </span>
              <span class="body">
                {a.body}{" "}
                <button class="link" aria-label={`Edit ${a.kind} from ${when}`} onClick={() => setEditing(a.id)}>
                  Edit
                </button>{" "}
                <button class="link" aria-label={`Delete ${a.kind} from ${when}`} onClick={() => void removeWithUndo("activity", a.id, labelOf(ACTIVITY_KINDS, a.kind), list.reload)}>
                  Delete
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      {list.hasMore && (
        <button class="link" onClick={showMore}>
          Show older
        </button>
      )}
    </section>
  );
}

/** "2026-11-20T14:30" in local time, for a datetime-local input. */
function toLocalInput(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

function EditEntry(props: { entry: Activity; onDone: () => void; onCancel: () => void }) {
  const { entry } = props;
  const [kind, setKind] = useState<ActivityKind>(entry.kind);
  const [body, setBody] = useState(entry.body);
  const [when, setWhen] = useState(toLocalInput(entry.occurred_at));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useFocusOnMount("field-activity-edit-body");

  async function submit(e: Event) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!body.trim()) found["body"] = "Write something, or delete the entry.";
    const at = new Date(when);
    if (Number.isNaN(at.getTime())) found["occurred_at"] = "Pick a date and time.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const changedWhen = toLocalInput(entry.occurred_at) !== when;
      await api.activities.update(entry.id, {
        ...(kind !== entry.kind ? { kind } : {}),
        ...(body.trim() !== entry.body ? { body: body.trim() } : {}),
        ...(changedWhen ? { occurred_at: at.toISOString() } : {}),
      });
      props.onDone();
    } catch (raw) {
      setErrors(errorsFrom(raw, ["body", "occurred_at", "kind"]));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate class="record-form" onSubmit={submit} aria-label="Edit timeline entry" onKeyDown={formKeys(props.onCancel)}>
      <SelectField label="Kind" name="activity-edit-kind" value={kind} options={ACTIVITY_KINDS} onChange={setKind} error={errors["kind"]} />
      <Field label="When" name="activity-edit-when" type="datetime-local" value={when} onInput={setWhen} error={errors["occurred_at"]} />
      <div class="wide">
        <Field label="Text" name="activity-edit-body" value={body} onInput={setBody} error={errors["body"]} multiline autoFocus />
      </div>
      <FormError errors={errors} />
      <FormActions busy={busy} submitLabel="Save changes" onCancel={props.onCancel} />
    </form>
  );
}
