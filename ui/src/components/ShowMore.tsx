// Long lists shown whole (the bids board and table, task groups) start with
// their first 50 items and grow on request: thousands of rows are neither
// readable at a glance nor cheap to keep in the window.
import { useState } from "preact/hooks";

export const SHOWN_AT_FIRST = 50;

/** How many items each part (a column, a group) shows, doubling on request. */
export function useShownCounts<K extends string>() {
  const [shown, setShown] = useState<Partial<Record<K, number>>>({});
  const limit = (part: K) => shown[part] ?? SHOWN_AT_FIRST;
  const more = (part: K) => setShown((s) => ({ ...s, [part]: (s[part] ?? SHOWN_AT_FIRST) * 2 }));
  return { limit, more };
}

/** The button under a shortened list; `what` names the list for screen readers. */
export function ShowMore({ hidden, what, onMore }: { hidden: number; what: string; onMore: () => void }) {
  if (hidden <= 0) return null;
  return (
    <button class="load-more" aria-label={`Show more ${what} (${hidden} hidden)`} onClick={onMore}>
      Show more ({hidden} hidden)
    </button>
  );
}
