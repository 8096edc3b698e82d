// Settings → Custom fields: the fields each kind of record carries beside its
// own. Define one (name, type, choices), rename it or change its choices,
// delete it after saying how many records lose their value. The forms of
// each kind show its fields; the core checks every value.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { CustomField } from "../bindings/CustomField";
import type { CustomFieldType } from "../bindings/CustomFieldType";
import type { EntityKind } from "../bindings/EntityKind";
import { Field } from "../components/Field";
import { FIELD_KINDS, FIELD_TYPES, labelOf } from "../components/records/labels";
import { SelectField } from "../components/records/SelectField";
import { notify } from "../state";

/** "Gold, Silver" → ["Gold", "Silver"]. */
function splitChoices(text: string): string[] {
  return text
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

export function CustomFields() {
  const [kind, setKind] = useState<EntityKind>("client");
  const [fields, setFields] = useState<CustomField[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load() {
    try {
      setFields(await api.customFields.list(kind));
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }
  useEffect(() => {
    setFields(null);
    void load();
  }, [kind]);

  async function remove(field: CustomField) {
    try {
      await api.customFields.remove(field.id);
      notify(`Deleted the field ${field.name}.`);
      await load();
    } catch (raw) {
      notify(`The field could not be deleted: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  return (
    <section class="settings-section" aria-label="Custom fields">
      <h2>Custom fields</h2>
      <p class="muted">
        Fields of your own on each kind of record: they show in its form and on its page, lists filter by them, search
        finds a record by them, and exports carry them.
      </p>
      <SelectField label="Fields of" name="custom-fields-kind" value={kind} options={FIELD_KINDS} onChange={setKind} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {fields !== null && fields.length === 0 && <p data-testid="no-custom-fields">No fields for {labelOf(FIELD_KINDS, kind).toLowerCase()} yet.</p>}
      {fields !== null && fields.length > 0 && (
        <table class="data" aria-label={`Custom fields of ${labelOf(FIELD_KINDS, kind).toLowerCase()}`}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Choices</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <FieldRow key={f.id} field={f} onChanged={load} onDelete={() => void remove(f)} />
            ))}
          </tbody>
        </table>
      )}
      <DefineField kind={kind} onDefined={load} />
    </section>
  );
}

function FieldRow(props: { field: CustomField; onChanged: () => Promise<void>; onDelete: () => void }) {
  const { field } = props;
  const [editing, setEditing] = useState(false);
  // Deleting asks first, saying how many records lose their value.
  const [confirming, setConfirming] = useState<number | null>(null);
  const [name, setName] = useState(field.name);
  const [choices, setChoices] = useState(field.choices.join(", "));
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function save(e: Event) {
    e.preventDefault();
    try {
      const patch = field.field_type === "choice" ? { name, choices: splitChoices(choices) } : { name };
      await api.customFields.update(field.id, patch);
      setEditing(false);
      await props.onChanged();
    } catch (raw) {
      setErrors(api.formErrors(api.asApiError(raw), (f) => (f === "name" || f === "choices" ? f : undefined)));
    }
  }

  if (editing) {
    return (
      <tr>
        <td colSpan={4}>
          <form class="record-form inline" onSubmit={save} aria-label={`Edit the field ${field.name}`}>
            <Field label="Name" name={`field-${field.id}-name`} value={name} onInput={setName} error={errors["name"]} autoFocus />
            {field.field_type === "choice" && (
              <Field label="Choices" name={`field-${field.id}-choices`} value={choices} onInput={setChoices} error={errors["choices"]} hint="Separate choices with commas" />
            )}
            {errors["form"] && (
              <p class="form-error" role="alert">
                {errors["form"]}
              </p>
            )}
            <div class="actions">
              <button class="primary" type="submit">
                Save
              </button>
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </form>
        </td>
      </tr>
    );
  }
  if (confirming !== null) {
    const lose =
      confirming === 0 ? "No record has a value of it." : `${confirming} record${confirming === 1 ? "" : "s"} will lose ${confirming === 1 ? "its" : "their"} value.`;
    return (
      <tr>
        <td colSpan={4} role="alert">
          Delete the field “{field.name}”? {lose} This cannot be undone.{" "}
          <button class="small danger" onClick={props.onDelete}>
            Delete the field
          </button>{" "}
          <button class="small" autoFocus onClick={() => setConfirming(null)}>
            Keep it
          </button>
        </td>
      </tr>
    );
  }
  async function askToDelete() {
    try {
      setConfirming(Number(await api.customFields.usage(field.id)));
    } catch (raw) {
      notify(`The field could not be deleted: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }
  return (
    <tr>
      <td>{field.name}</td>
      <td>{labelOf(FIELD_TYPES, field.field_type)}</td>
      <td>{field.choices.join(", ")}</td>
      <td class="actions">
        <button class="small" onClick={() => setEditing(true)} aria-label={`Edit the field ${field.name}`}>
          Edit
        </button>{" "}
        <button class="small danger" onClick={() => void askToDelete()} aria-label={`Delete the field ${field.name}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

function DefineField(props: { kind: EntityKind; onDefined: () => Promise<void> }) {
  const [name, setName] = useState("");
  const [fieldType, setFieldType] = useState<CustomFieldType>("text");
  const [choices, setChoices] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const field = await api.customFields.define({
        entity_kind: props.kind,
        name,
        field_type: fieldType,
        choices: fieldType === "choice" ? splitChoices(choices) : [],
      });
      notify(`Added the field ${field.name}.`);
      setName("");
      setChoices("");
      setErrors({});
      await props.onDefined();
    } catch (raw) {
      setErrors(api.formErrors(api.asApiError(raw), (f) => (f === "name" || f === "choices" ? f : undefined)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="record-form" onSubmit={submit} aria-label="Add a custom field">
      <h3>Add a field</h3>
      <Field label="Name" name="custom-field-name" value={name} onInput={setName} error={errors["name"]} required />
      <SelectField label="Type" name="custom-field-type" value={fieldType} options={FIELD_TYPES} onChange={setFieldType} />
      {fieldType === "choice" && (
        <Field label="Choices" name="custom-field-choices" value={choices} onInput={setChoices} error={errors["choices"]} hint="Separate choices with commas, e.g. Gold, Silver" />
      )}
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          Add field
        </button>
      </div>
    </form>
  );
}
