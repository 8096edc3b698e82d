// One form for adding or editing any kind of record, from a list of its
// fields: the inputs, its tags and custom fields, checks before saving, the
// core's refusal beside the field it names, Esc to cancel and Ctrl+Enter to
// save from anywhere in it. Each kind says in `records/forms.tsx` which
// fields it has and how its values become the core's new record or patch.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import * as api from "../../api";
import type { EntityKind } from "../../bindings/EntityKind";
import { Field } from "../Field";
import { CustomFieldInputs, errorKey, useCustomFields, type FieldValues } from "./CustomFieldInputs";
import { useFocusOnMount } from "./focus";
import { formKeys } from "./keys";
import { SelectField } from "./SelectField";

export type Values = Record<string, string>;

export interface FieldSpec {
  key: string;
  label: string;
  type?: "text" | "email" | "tel" | "url" | "date" | "number" | "multiline" | "select";
  options?: readonly (readonly [string, string])[];
  hint?: string;
  /** The message when left empty; absent: optional. */
  required?: string;
  /** Why it cannot be changed here; present: shown read-only with this. */
  readOnly?: string;
  /** The core's names for this field, when they differ from `key`. */
  coreNames?: string[];
}

/** Thrown by a form's `save` for errors found before asking the core. */
export class Refusal extends Error {
  constructor(public readonly errors: Record<string, string>) {
    super("refused");
  }
}

export interface Extras {
  tags: string[];
  /** The custom field values as they stand in the form. */
  fields: FieldValues;
}

export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** The keys of `values` that differ from `before` (trimmed). */
export function changedKeys(values: Values, before: Values, keys: readonly string[]): string[] {
  return keys.filter((k) => (values[k] ?? "").trim() !== (before[k] ?? "").trim());
}

interface Props<R> {
  /** Whose custom fields the form shows. */
  kind: EntityKind;
  heading: string;
  /** The form's accessible name, e.g. "Edit contact Ana Lima". */
  label: string;
  /** Prefix of the inputs' ids: `field-<prefix>-<key>`. */
  prefix: string;
  submitLabel: string;
  spec: FieldSpec[];
  initial: Values;
  /** Present: the record takes tags (these are its current ones). */
  tags?: string[];
  fields?: Record<string, string>;
  save: (values: Values, extras: Extras) => Promise<R>;
  onSaved: (saved: R) => void;
  onCancel: () => void;
  /** Said above the buttons, e.g. that edits go to the marketplace. */
  note?: ComponentChildren;
}

export function RecordForm<R>(props: Props<R>) {
  const [values, setValues] = useState<Values>(props.initial);
  const [tags, setTags] = useState((props.tags ?? []).join(", "));
  const customFields = useCustomFields(props.kind);
  const [fieldValues, setFieldValues] = useState<FieldValues>(() => ({ ...(props.fields ?? {}) }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const first = props.spec.find((f) => !f.readOnly);
  useFocusOnMount(`field-${props.prefix}-${first?.key ?? "tags"}`);

  /** The form's key for a field the core named. */
  function keyOf(field: string): string | undefined {
    const named = props.spec.find((f) => f.key === field || f.coreNames?.includes(field));
    if (named) return named.key;
    if (field === "tag" || field === "tags") return "tags";
    return customFields.some((f) => f.name.toLowerCase() === field.toLowerCase()) ? errorKey(field) : undefined;
  }

  async function submit(e?: Event) {
    e?.preventDefault();
    if (busy) return;
    const found: Record<string, string> = {};
    for (const f of props.spec) {
      if (f.required && !f.readOnly && !(values[f.key] ?? "").trim()) found[f.key] = f.required;
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      props.onSaved(await props.save(values, { tags: splitList(tags), fields: fieldValues }));
    } catch (raw) {
      if (raw instanceof Refusal) {
        setErrors(raw.errors);
      } else {
        const err = api.asApiError(raw);
        if (err.code === "validation") setErrors(api.formErrors(err, keyOf));
        else if (err.code === "not_found") setErrors({ form: "This record no longer exists (it may have been deleted)." });
        else setErrors({ form: `Could not save (${err.code}): ${api.describe(err)}` });
      }
    } finally {
      setBusy(false);
    }
  }

  function input(f: FieldSpec) {
    const name = `${props.prefix}-${f.key}`;
    const value = values[f.key] ?? "";
    const set = (v: string) => setValues((all) => ({ ...all, [f.key]: v }));
    const hint = f.readOnly ? `Read-only: it ${f.readOnly}` : f.hint;
    if (f.type === "select") {
      return (
        <SelectField key={f.key} label={f.label} name={name} value={value} options={f.options ?? []} onChange={set} error={errors[f.key]} disabled={!!f.readOnly} {...(hint ? { hint } : {})} />
      );
    }
    const field = (
      <Field
        key={f.key}
        label={f.label}
        name={name}
        value={value}
        onInput={set}
        error={errors[f.key]}
        readOnly={!!f.readOnly}
        required={!!f.required}
        multiline={f.type === "multiline"}
        {...(f.type && f.type !== "multiline" ? { type: f.type } : {})}
        {...(hint ? { hint } : {})}
      />
    );
    return f.type === "multiline" ? (
      <div class="wide" key={f.key}>
        {field}
      </div>
    ) : (
      field
    );
  }

  return (
    <form
      noValidate
      class="record-form"
      onSubmit={submit}
      aria-label={props.label}
      onKeyDown={formKeys(props.onCancel)}
    >
      <h2>{props.heading}</h2>
      {props.spec.filter((f) => f.type !== "multiline").map(input)}
      {props.tags && (
        <Field label="Tags" name={`${props.prefix}-tags`} value={tags} onInput={setTags} error={errors["tags"]} hint="Separate tags with commas, e.g. vip, design" />
      )}
      <CustomFieldInputs fields={customFields} values={fieldValues} onChange={(name, value) => setFieldValues((v) => ({ ...v, [name]: value }))} errors={errors} prefix={props.prefix} />
      {props.spec.filter((f) => f.type === "multiline").map(input)}
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      {props.note && <p class="muted wide">{props.note}</p>}
      <FormActions busy={busy} submitLabel={props.submitLabel} onCancel={props.onCancel} />
    </form>
  );
}

/** A form's buttons: save (busy while saving), cancel, and the keys that do both. */
export function FormActions(props: { busy: boolean; submitLabel: string; onCancel: () => void }) {
  return (
    <div class="actions">
      <button class="primary" type="submit" disabled={props.busy}>
        {props.busy ? "Saving…" : props.submitLabel}
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <span class="muted">Ctrl+Enter saves · Esc cancels</span>
    </div>
  );
}
