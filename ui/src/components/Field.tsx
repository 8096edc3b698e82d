// A labelled input with its own error line; every form builds on it so that
// field-level messages look and read the same everywhere.
import type { JSX } from "preact";

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: "text" | "password" | "email" | "tel" | "url" | "number" | "date" | "datetime-local" | "search";
  error?: string | null;
  hint?: string;
  required?: boolean;
  autoFocus?: boolean;
  multiline?: boolean;
  autocomplete?: string;
  /** Shown but not editable (the hint says why). */
  readOnly?: boolean;
}

export function Field(props: FieldProps): JSX.Element {
  const id = `field-${props.name}`;
  const described = props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined;
  const onInput = (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value);
  return (
    <div class={`field${props.error ? " field-invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea
          id={id}
          name={props.name}
          value={props.value}
          required={props.required}
          autoFocus={props.autoFocus}
          readOnly={props.readOnly}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={described}
          onInput={onInput}
          rows={4}
        />
      ) : (
        <input
          id={id}
          name={props.name}
          value={props.value}
          required={props.required}
          autoFocus={props.autoFocus}
          readOnly={props.readOnly}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={described}
          onInput={onInput}
          type={(props.type ?? "text") as "text"}
          autocomplete={(props.autocomplete ?? "off") as "off"}
        />
      )}
      {props.error ? (
        <p class="field-error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      ) : props.hint ? (
        <p class="field-hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}
