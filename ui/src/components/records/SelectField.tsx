// A labelled <select> that looks like Field (Field only does inputs).
import type { JSX } from "preact";

interface SelectFieldProps<V extends string> {
  label: string;
  name: string;
  value: V;
  options: readonly (readonly [V, string])[];
  onChange: (value: V) => void;
  error?: string | null;
  hint?: string;
  disabled?: boolean;
}

export function SelectField<V extends string>(props: SelectFieldProps<V>): JSX.Element {
  const id = `field-${props.name}`;
  return (
    <div class={`select-field${props.error ? " field-invalid" : ""}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        disabled={props.disabled}
        aria-describedby={props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.currentTarget.value as V)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
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
