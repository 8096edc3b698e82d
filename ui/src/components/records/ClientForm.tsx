// The client form, for both "New client" and "Edit". Editing sends only the
// keys that changed (an emptied optional field is sent as null to clear it).
// A validation error from the core goes beside the field it names (ApiError.field).
import { useState } from "preact/hooks";
import * as api from "../../api";
import type { Client } from "../../bindings/Client";
import type { ClientKind } from "../../bindings/ClientKind";
import type { ClientPatch } from "../../bindings/ClientPatch";
import type { NewClient } from "../../bindings/NewClient";
import { Field } from "../Field";
import { CLIENT_KINDS } from "./labels";
import { CustomFieldInputs, changedValues, errorKey, filledValues, useCustomFields, type FieldValues } from "./CustomFieldInputs";
import { useFocusOnMount } from "./focus";
import { SelectField } from "./SelectField";

type Text = "name" | "email" | "phone" | "company" | "website" | "country" | "tags" | "notes";
type Values = Record<Text, string> & { kind: ClientKind };
const OPTIONAL = ["email", "phone", "company", "website", "country"] as const;

function valuesOf(client: Client | undefined): Values {
  return {
    kind: client?.kind ?? "person",
    name: client?.name ?? "",
    email: client?.email ?? "",
    phone: client?.phone ?? "",
    company: client?.company ?? "",
    website: client?.website ?? "",
    country: client?.country ?? "",
    tags: client?.tags.join(", ") ?? "",
    notes: client?.notes ?? "",
  };
}

export function splitTags(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

interface Props {
  /** Editing this client; absent: creating a new one. */
  client?: Client;
  onSaved: (client: Client) => void;
  onCancel: () => void;
}

export function ClientForm({ client, onSaved, onCancel }: Props) {
  const [values, setValues] = useState<Values>(() => valuesOf(client));
  const customFields = useCustomFields("client");
  const [fieldValues, setFieldValues] = useState<FieldValues>(() => ({ ...(client?.fields ?? {}) }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (key: Text) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  const prefix = client ? "client-edit" : "client-new";
  useFocusOnMount(`field-${prefix}-name`);

  async function submit(e: Event) {
    e.preventDefault();
    if (!values.name.trim()) {
      setErrors({ name: "A client needs a name." });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      let saved: Client;
      if (client) {
        const before = valuesOf(client);
        const patch: ClientPatch = {};
        if (values.kind !== before.kind) patch.kind = values.kind;
        if (values.name.trim() !== before.name) patch.name = values.name.trim();
        for (const key of OPTIONAL) {
          const now = values[key].trim();
          if (now !== before[key]) patch[key] = now === "" ? null : now;
        }
        if (values.notes !== before.notes) patch.notes = values.notes;
        const tags = splitTags(values.tags);
        if (tags.join("\n") !== client.tags.join("\n")) patch.tags = tags;
        const fields = changedValues(client.fields ?? {}, fieldValues);
        if (Object.keys(fields).length > 0) patch.fields = fields;
        saved = Object.keys(patch).length === 0 ? client : await api.clients.update(client.id, patch);
      } else {
        const created: NewClient = {
          name: values.name.trim(),
          kind: values.kind,
          notes: values.notes,
          tags: splitTags(values.tags),
          fields: filledValues(fieldValues),
        };
        for (const key of OPTIONAL) {
          const now = values[key].trim();
          if (now !== "") created[key] = now;
        }
        saved = await api.clients.create(created);
      }
      onSaved(saved);
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code === "validation") {
        setErrors(
          api.formErrors(err, (field) => {
            const key = field === "tag" ? "tags" : field;
            if (key in values) return key;
            // A custom field's error names the field as the user named it.
            return customFields.some((f) => f.name.toLowerCase() === field.toLowerCase()) ? errorKey(field) : undefined;
          }),
        );
      } else if (err.code === "not_found") {
        setErrors({ form: "This client no longer exists (it may have been deleted)." });
      } else {
        setErrors({ form: `Could not save (${err.code}): ${api.describe(err)}` });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate
      class="record-form"
      onSubmit={submit}
      aria-label={client ? `Edit ${client.name}` : "New client"}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <h2>{client ? "Edit client" : "New client"}</h2>
      <Field label="Name" name={`${prefix}-name`} value={values.name} onInput={set("name")} error={errors["name"]} required autoFocus />
      <SelectField label="Kind" name={`${prefix}-kind`} value={values.kind} options={CLIENT_KINDS} onChange={(kind) => setValues((v) => ({ ...v, kind }))} />
      <Field label="Email" name={`${prefix}-email`} type="email" value={values.email} onInput={set("email")} error={errors["email"]} />
      <Field label="Phone" name={`${prefix}-phone`} type="tel" value={values.phone} onInput={set("phone")} error={errors["phone"]} />
      <Field label="Company" name={`${prefix}-company`} value={values.company} onInput={set("company")} error={errors["company"]} />
      <Field label="Website" name={`${prefix}-website`} type="url" value={values.website} onInput={set("website")} error={errors["website"]} />
      <Field label="Country" name={`${prefix}-country`} value={values.country} onInput={set("country")} error={errors["country"]} />
      <Field
        label="Tags"
        name={`${prefix}-tags`}
        value={values.tags}
        onInput={set("tags")}
        error={errors["tags"]}
        hint="Separate tags with commas, e.g. vip, design"
      />
      <CustomFieldInputs
        fields={customFields}
        values={fieldValues}
        onChange={(name, value) => setFieldValues((v) => ({ ...v, [name]: value }))}
        errors={errors}
        prefix={prefix}
      />
      <div class="wide">
        <Field label="Notes" name={`${prefix}-notes`} value={values.notes} onInput={set("notes")} error={errors["notes"]} multiline />
      </div>
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Saving…" : client ? "Save changes" : "Add client"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <span class="muted">Esc cancels</span>
      </div>
    </form>
  );
}
