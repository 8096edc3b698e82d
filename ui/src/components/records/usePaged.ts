// The lists inside a detail page (a client's contacts, projects and bids, a
// record's timeline and milestones): one list shown in part, as the board's
// columns are (usePagedParts in ../ShowMore.tsx, which this wraps): its
// first few items, then "Show more" reads twice as many through the keyset
// cursor, and a change made on the page reads it again as far as it is
// shown. This adds what a section says while it reads: loading and errors.
import { useRef, useState } from "preact/hooks";
import { useReadEffectUnlessGiven } from "../../readEffect";
import * as api from "../../api";
import type { Page } from "../../bindings/Page";
import { useFocusShown, usePagedParts } from "../ShowMore";

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: api.ApiError | null;
  hasMore: boolean;
  /** Reads and shows more items (twice as many as shown); false when nothing more could be shown (an error, which `error` holds). */
  more: () => Promise<boolean>;
  /** Reads the list again as far as it is shown: after a change made on the page. */
  reload: () => void;
}

const ONE = ["list"] as const;
/** The items before the first answer: the same array each time, so an effect on them runs once. */
const NONE: never[] = [];

/**
 * A list that shows its first `first` items: `read(limit, after)` answers
 * one page of it. Read again from the start when `deps` change.
 * `given` is its first page when the screen read it with everything else
 * (a client's page reads all its lists in one call): shown at once, in
 * place of the first read.
 */
export function usePaged<T>(read: (limit: number, after: string | null) => Promise<Page<T>>, deps: unknown[], first: number, given?: Page<T>): Paged<T> {
  const initial = given && { list: { items: given.items, next: given.next } };
  const list = usePagedParts<(typeof ONE)[number], T>(ONE, first, (_, limit, after) => read(limit, after), { initial });
  const [reading, setReading] = useState(0);
  const [error, setError] = useState<api.ApiError | null>(null);
  // The latest read: an error of one it overtook is not shown.
  const latest = useRef(0);

  async function run(work: () => Promise<void>): Promise<boolean> {
    const mine = ++latest.current;
    setReading((n) => n + 1);
    setError(null);
    try {
      await work();
      return true;
    } catch (raw) {
      if (mine === latest.current) setError(api.asApiError(raw));
      return false;
    } finally {
      setReading((n) => n - 1);
    }
  }

  useReadEffectUnlessGiven(given !== undefined, () => void run(() => list.reload(true)), deps);

  const part = list.parts?.list;
  return {
    items: part?.items ?? NONE,
    loading: reading > 0 || (part === undefined && error === null),
    error,
    hasMore: (part?.next ?? null) !== null,
    more: () => run(() => list.more("list")),
    reload: () => void run(() => list.reload()),
  };
}

/**
 * The "Show more" of a list drawn with `data-list={name}`: reads more of it,
 * then moves the focus to the first item it showed, as on the board (the
 * button may be gone: nothing is left to show).
 */
export function useShowMore<T>(list: Paged<T>, name: string): () => void {
  const shown = useFocusShown();
  return () => {
    shown.focusFrom(name, list.items.length);
    void list.more().then((ok) => ok || shown.cancel());
  };
}
