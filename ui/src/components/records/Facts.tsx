// A record's facts as label/value pairs, the top of a client's page and of
// a record's page (records.css styles `dl.facts`; the e2e finds values by
// their text).
import { Fragment } from "preact";
import type { ComponentChildren } from "preact";

export type Fact = [label: string, value: ComponentChildren];

/** Is there anything to show? An unset field is null, an emptied one "". */
const shown = ([, value]: Fact) => value !== null && value !== undefined && value !== "";

export function Facts({ facts }: { facts: Fact[] }) {
  return (
    <dl class="facts">
      {facts.filter(shown).map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}
