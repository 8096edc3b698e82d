// The custom fields of one kind of record, in its form: an input per field
// as its type asks (a choice is a select, a date a date picker). The core
// checks and keeps each value; its refusal names the field, shown beside it.
import { useState } from "preact/hooks";
import { useReadEffect } from "../../readEffect";
import * as api from "../../api";
import type { CustomField } from "../../bindings/CustomField";
import type { EntityKind } from "../../bindings/EntityKind";
import { Field } from "../Field";
import { SelectField } from "./SelectField";

export type FieldValues = Record<string, string>;

/** The custom fields defined for `kind`; empty until read (and when reading fails). */
export function useCustomFields(kind: EntityKind): CustomField[] {
  const [fields, setFields] = useState<CustomField[]>([]);
  useReadEffect(() => {
    let live = true;
    api.customFields.list(kind).then(
      (found) => live && setFields(found),
      () => live && setFields([]),
    );
    return () => {
      live = false;
    };
  }, [kind]);
  return fields;
}

/** The form's key of a custom field's error. */
export function errorKey(name: string): string {
  return `field:${name.toLowerCase()}`;
}

/** The values to send with a new record: the filled ones. */
export function filledValues(values: FieldValues): FieldValues {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ""));
}

/** What an edit changes: new or changed values, and null for an emptied one. */
export function changedValues(before: FieldValues, now: FieldValues): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(now)) {
    const was = before[name] ?? "";
    if (value.trim() !== was) changes[name] = value.trim() === "" ? null : value.trim();
  }
  return changes;
}

const HINT: Partial<Record<CustomField["field_type"], string>> = {
  number: "A number, e.g. 1200 or 3.5",
  money: "An amount and a currency, e.g. 1250.00 USD",
  link: "A web address, e.g. https://example.org",
};

export function CustomFieldInputs(props: {
  fields: CustomField[];
  values: FieldValues;
  onChange: (name: string, value: string) => void;
  errors: Record<string, string>;
  prefix: string;
}) {
  return (
    <>
      {props.fields.map((f) => {
        const name = `${props.prefix}-custom-${f.id}`;
        const value = props.values[f.name] ?? "";
        const error = props.errors[errorKey(f.name)];
        if (f.field_type === "choice") {
          const options: [string, string][] = [["", "—"], ...f.choices.map((c): [string, string] => [c, c])];
          return (
            <SelectField key={f.id} label={f.name} name={name} value={value} options={options} onChange={(v) => props.onChange(f.name, v)} error={error} />
          );
        }
        const type = f.field_type === "date" ? "date" : f.field_type === "link" ? "url" : "text";
        const hint = HINT[f.field_type];
        return (
          <Field
            key={f.id}
            label={f.name}
            name={name}
            type={type}
            value={value}
            onInput={(v) => props.onChange(f.name, v)}
            error={error}
            {...(hint ? { hint } : {})}
          />
        );
      })}
    </>
  );
}
