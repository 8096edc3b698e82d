// Filtering a list of records by a tag and by a custom field's value, as
// the core does for every kind (`tag`, `field` in each kind's filter): the
// inputs for a list's toolbar, and the filter they make, applied a moment
// after typing stops rather than on every key. A list's filters stay set
// until changed, across visits, until the app locks.
import { useEffect, useState } from "preact/hooks";
import type { EntityKind } from "../../bindings/EntityKind";
import type { FieldFilter } from "../../bindings/FieldFilter";
import { useKept } from "../../places";
import { useCustomFields } from "./CustomFieldInputs";

/** What each kind's filter takes from these inputs. */
export interface ExtrasFilter {
  tag?: string;
  field?: FieldFilter;
}

export interface ListFilters {
  /** To spread into the kind's filter. */
  filter: ExtrasFilter;
  /** Changes whenever the filter does: a list reloads on it. */
  key: string;
  /** Whether any of these filters is set (an empty list then says so). */
  active: boolean;
  /** The filters in words, for an empty list: ` tagged “vip” whose Tier is “Gold”`. */
  said: string;
  controls: preact.JSX.Element;
}

export function useListFilters(kind: EntityKind): ListFilters {
  const fields = useCustomFields(kind);
  // Kept for the list's next visit (places.ts), applied at once then.
  const [tagInput, setTagInput] = useKept(`filters.${kind}.tag`, "");
  const [fieldName, setFieldName] = useKept(`filters.${kind}.field`, "");
  const [valueInput, setValueInput] = useKept(`filters.${kind}.value`, "");
  const [applied, setApplied] = useState(() => ({ tag: tagInput.trim(), value: valueInput.trim() }));

  useEffect(() => {
    const timer = setTimeout(() => setApplied({ tag: tagInput.trim(), value: valueInput.trim() }), 250);
    return () => clearTimeout(timer);
  }, [tagInput, valueInput]);

  const filter: ExtrasFilter = {};
  if (applied.tag) filter.tag = applied.tag;
  if (fieldName && applied.value) filter.field = { name: fieldName, value: applied.value };

  const controls = (
    <>
      <input
        class="filter"
        type="search"
        placeholder="Filter by tag"
        aria-label="Filter by tag"
        value={tagInput}
        onInput={(e) => setTagInput(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setTagInput("");
        }}
      />
      {fields.length > 0 && (
        <>
          <select aria-label="Filter by field" value={fieldName} onChange={(e) => setFieldName(e.currentTarget.value)}>
            <option value="">Any field</option>
            {fields.map((f) => (
              <option key={f.id} value={f.name}>
                {f.name}
              </option>
            ))}
          </select>
          <input
            class="filter"
            type="search"
            placeholder="is…"
            aria-label="Field value"
            disabled={fieldName === ""}
            value={valueInput}
            onInput={(e) => setValueInput(e.currentTarget.value)}
          />
        </>
      )}
    </>
  );
  const said = `${filter.tag ? ` tagged “${filter.tag}”` : ""}${filter.field ? ` whose ${filter.field.name} is “${filter.field.value}”` : ""}`;
  const key = `${filter.tag ?? ""}|${filter.field ? `${filter.field.name}=${filter.field.value}` : ""}`;
  return { filter, key, active: !!(filter.tag || filter.field), said, controls };
}
