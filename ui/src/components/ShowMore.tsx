// Long lists shown in parts (the bids board's columns, the bids table, the
// task list's groups) start with the first few items of each part, read
// from the core, and grow on request: "Show more" reads the next page of
// that part alone. Thousands of rows are neither readable at a glance nor
// cheap to build in the window, and a screen that reads only what it shows
// opens as fast with a million records as with a thousand.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Page } from "../bindings/Page";
import { MAX_PAGE } from "../bindings/Paging";
import { keepSizes, takeSizes } from "../places";

/** What is read of one part: its items in order, and where the next page starts (null: none is left). */
export interface Part<T> {
  items: T[];
  next: string | null;
}

export type Parts<K extends string, T> = Record<K, Part<T>>;

export interface PagedParts<K extends string, T> {
  /** Null until the first read. */
  parts: Parts<K, T> | null;
  /**
   * Reads every part again, each as far as it is shown now (so the user's
   * place stays), or, `fresh`, from its first items (another filter).
   * Throws what the core answered; an answer overtaken by a newer read is dropped.
   */
  reload: (fresh?: boolean) => Promise<void>;
  /** Shows more of one part: twice as many as now, the rest read after its last item. */
  more: (part: K) => Promise<void>;
  /** Changes what was read in place: a move, a saved or a new item. */
  update: (change: (parts: Parts<K, T>) => Parts<K, T>) => void;
}

export interface PagedOptions<K extends string, T> {
  /** What was read already with the rest of the screen: shown at once, as if the first read had answered it. */
  initial?: Parts<K, T>;
  /** Reads what the items' rows show besides the items (names of what they link to) before they are drawn. */
  prepare?: (items: T[]) => Promise<void>;
  /**
   * Reads the first page of every part in one call, each of its `limit`
   * (at most MAX_PAGE): one round trip where there were as many as parts.
   * What a part shows beyond it is read on with `read`.
   */
  readFirstPages?: (wanted: { part: K; limit: number }[]) => Promise<Page<T>[]>;
  /**
   * Where the parts are kept between visits (places.ts): shown again under
   * the same `filter`, each part is read as far as it was shown.
   */
  place?: { name: string; filter: string };
}

/**
 * Parts `keys`, each first showing `first` items: `read(part, limit, after)`
 * answers one page of a part. Every part is read at once (in parallel, or
 * in one call with `readFirstPages`).
 */
export function usePagedParts<K extends string, T>(
  keys: readonly K[],
  first: number,
  read: (part: K, limit: number, after: string | null) => Promise<Page<T>>,
  options: PagedOptions<K, T> = {},
): PagedParts<K, T> {
  const [parts, setParts] = useState<Parts<K, T> | null>(options.initial ?? null);
  // How many items each part should show; "Show more" doubles it.
  const [left] = useState(() => (options.place ? takeSizes<K>(options.place.name, options.place.filter) : null));
  const sizes = useRef<Partial<Record<K, number>>>(left ?? {});
  const current = useRef<Parts<K, T> | null>(null);
  current.current = parts;
  const generation = useRef(0);
  // Parts whose next page is being read: a second press waits for it.
  const reading = useRef(new Set<K>());
  const readRef = useRef(read);
  readRef.current = read;
  const optionsRef = useRef(options);
  optionsRef.current = options;

  const size = (part: K) => sizes.current[part] ?? first;

  /** The first `wanted` items of a part, a page at a time, going on from `start` when it was read already. */
  async function readPart(part: K, wanted: number, start?: Page<T>): Promise<Part<T>> {
    let page = start ?? (await readRef.current(part, Math.min(wanted, MAX_PAGE), null));
    const items = [...page.items];
    while (page.next !== null && items.length < wanted) {
      page = await readRef.current(part, Math.min(wanted - items.length, MAX_PAGE), page.next);
      items.push(...page.items);
    }
    return { items, next: page.next };
  }

  /** Every part as far as `size` says: one call for the first pages when the options have one. */
  async function readAll(): Promise<Part<T>[]> {
    const together = optionsRef.current.readFirstPages;
    if (!together) return Promise.all(keys.map((key) => readPart(key, size(key))));
    const firsts = await together(keys.map((part) => ({ part, limit: Math.min(size(part), MAX_PAGE) })));
    return Promise.all(keys.map((key, i) => readPart(key, size(key), firsts[i])));
  }

  async function reload(fresh = false) {
    if (fresh) sizes.current = {};
    const gen = ++generation.current;
    const read = await readAll();
    await optionsRef.current.prepare?.(read.flatMap((part) => part.items));
    if (gen !== generation.current) return;
    setParts(Object.fromEntries(keys.map((key, i) => [key, read[i]])) as Parts<K, T>);
  }

  async function more(part: K) {
    const now = current.current?.[part];
    if (!now || now.next === null || reading.current.has(part)) return;
    const gen = generation.current;
    const wanted = Math.max(size(part), now.items.length) * 2;
    reading.current.add(part);
    let page: Page<T>;
    try {
      page = await readRef.current(part, Math.min(wanted - now.items.length, MAX_PAGE), now.next);
      await optionsRef.current.prepare?.(page.items);
    } finally {
      reading.current.delete(part);
    }
    if (gen !== generation.current) return;
    sizes.current = { ...sizes.current, [part]: wanted };
    setParts((old) => {
      if (!old) return old;
      const was = old[part];
      return { ...old, [part]: { items: [...was.items, ...page.items], next: page.next } };
    });
  }

  function update(change: (parts: Parts<K, T>) => Parts<K, T>) {
    setParts((old) => (old ? change(old) : old));
  }

  // Left: how far each part was shown, for the next visit.
  useEffect(
    () => () => {
      const place = optionsRef.current.place;
      if (place) keepSizes(place.name, place.filter, sizes.current);
    },
    [],
  );

  return { parts, reload, more, update };
}

/**
 * After "Show more", moves the focus to the first item it showed: a
 * keyboard user goes on from where they were, and the focus is not lost
 * with the button when nothing is left to show. `focusFrom(list, index)`
 * before the items arrive; the list is the element with `data-list={list}`,
 * an item its `index`th child, focused on its first focusable element.
 */
export function useFocusShown(): { focusFrom: (list: string, index: number) => void; cancel: () => void } {
  const pending = useRef<{ list: string; index: number } | null>(null);
  useLayoutEffect(() => {
    const wanted = pending.current;
    if (!wanted) return;
    const list = document.querySelector(`[data-list="${wanted.list}"]`);
    const item = list?.children.item(wanted.index);
    if (!item) return;
    pending.current = null;
    const target = item.matches(FOCUSABLE) ? item : item.querySelector(FOCUSABLE);
    if (target instanceof HTMLElement) target.focus();
  });
  return {
    focusFrom: (list, index) => {
      pending.current = { list, index };
    },
    cancel: () => {
      pending.current = null;
    },
  };
}

const FOCUSABLE = '[tabindex="0"], input, button, select, a[href]';

/** The button under a shortened list; `what` names the list for screen readers. */
export function ShowMore({ hidden, what, onMore }: { hidden: number; what: string; onMore: () => void }) {
  if (hidden <= 0) return null;
  return (
    <button class="load-more" aria-label={`Show more ${what} (${hidden} hidden)`} onClick={onMore}>
      Show more ({hidden} hidden)
    </button>
  );
}
