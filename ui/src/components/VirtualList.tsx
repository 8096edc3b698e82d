// A virtualized list of fixed-height rows fed page by page through a keyset
// cursor. Only the visible rows (plus a small overscan) are in the DOM, and
// the next page is fetched only when the user scrolls near the end of what is
// loaded. The root exposes data-loaded-count and data-page-requests so tests
// can check that a long list never loads everything. A list given a `place`
// opens where it was left (places.ts): as many rows read, the same scroll,
// the row last chosen selected, and the focus on it if nothing holds it.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Page } from "../bindings/Page";
import { MAX_PAGE } from "../bindings/Paging";
import { focusLost, keepPlace, takePlace, type ListPlace, type PageEnd } from "../places";
import "../screens/records.css";

export interface VirtualListProps<T> {
  /** Fetches `limit` rows after `after` (null: from the first). */
  fetchPage: (after: string | null, limit: number) => Promise<Page<T>>;
  /** Rows read at a time as the user scrolls. */
  pageSize?: number;
  /** Where the list is kept between visits (`name`), and the filter it was read under: another filter starts at the top. */
  place?: { name: string; filter: string };
  /** Accessible name of the list. */
  label: string;
  /** Height of every row in CSS pixels. */
  rowHeight?: number;
  /** Changing it drops what is loaded and starts again from the first page. */
  reloadKey?: unknown;
  keyOf: (item: T) => string;
  /** Accessible name of a row. */
  labelOf: (item: T) => string;
  renderRow: (item: T, index: number, selected: boolean) => ComponentChildren;
  /** Enter or click on a row. */
  onOpen?: (item: T, index: number) => void;
  /** Shown when the first page is empty. */
  empty?: ComponentChildren;
  /** Rows rendered beyond the visible ones on each side. */
  overscan?: number;
  /** Rows from the end of the loaded ones at which the next page is fetched. */
  prefetch?: number;
  /** Extra class on the scrolling root (give it a height). */
  class?: string;
  /** Optional header (column titles) shown above the rows, outside the scroller. */
  header?: ComponentChildren;
  id?: string;
}

let nextListId = 1;

/**
 * The reads that bring a place's rows back at once: from the top and from
 * the ends of pages read before, each at most `MAX_PAGE`, the last at least
 * a `pageSize` (a list left before it had read anything reads a page).
 */
function readsBack(back: ListPlace, pageSize: number): { after: string | null; limit: number }[] {
  const reads: { after: string | null; limit: number }[] = [];
  let at = 0;
  let after: string | null = null;
  for (;;) {
    if (back.loaded - at <= MAX_PAGE) {
      reads.push({ after, limit: Math.min(MAX_PAGE, Math.max(pageSize, back.loaded - at)) });
      return reads;
    }
    // The furthest end of a page read before within one read of here; none
    // (not kept): one read, and the rest on from its end.
    let end: PageEnd | undefined;
    for (const e of back.ends) if (e.count > at && e.count <= at + MAX_PAGE) end = e;
    if (end === undefined) {
      reads.push({ after, limit: MAX_PAGE });
      return reads;
    }
    reads.push({ after, limit: end.count - at });
    at = end.count;
    after = end.next;
  }
}

/** Whether an event started on a control inside a row (which handles it itself). */
function interactive(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest("select, input, button, textarea, a, label") !== null;
}

export function VirtualList<T>(props: VirtualListProps<T>): JSX.Element {
  const rowHeight = props.rowHeight ?? 44;
  const overscan = props.overscan ?? 6;
  const prefetch = props.prefetch ?? 20;
  const pageSize = props.pageSize ?? 100;
  const [listId] = useState(() => props.id ?? `vlist-${nextListId++}`);

  const [items, setItems] = useState<T[]>([]);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<api.ApiError | null>(null);
  const [requests, setRequests] = useState(0);
  const [selected, setSelectedState] = useState(-1);
  // The selection as set, at once: a click that opens a record unmounts the
  // list before it renders again, and the place kept must name that row.
  const selectedNow = useRef(-1);
  function setSelected(to: number | ((at: number) => number)) {
    selectedNow.current = typeof to === "function" ? to(selectedNow.current) : to;
    setSelectedState(selectedNow.current);
  }
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(480);

  const root = useRef<HTMLDivElement>(null);
  const fetchRef = useRef(props.fetchPage);
  fetchRef.current = props.fetchPage;
  // The cursor and in-flight flag live in refs so scroll events see them at once.
  const cursor = useRef<string | null>(null);
  const inFlight = useRef(false);
  const generation = useRef(0);
  const finished = useRef(false);
  const loadedCount = useRef(0);
  // The place being gone back to, until its rows are read.
  const returning = useRef<ListPlace | null>(null);
  const mounted = useRef(false);

  // Where each page read ended (rows read, the cursor after them): going
  // back, the pages after them are read at once, not one after another.
  const ends = useRef<PageEnd[]>([]);

  async function loadMore(): Promise<void> {
    if (inFlight.current || finished.current) return;
    inFlight.current = true;
    const gen = generation.current;
    const back = returning.current;
    const reads =
      back && loadedCount.current === 0
        ? readsBack(back, pageSize)
        : [{ after: cursor.current, limit: back ? Math.min(MAX_PAGE, Math.max(pageSize, back.loaded - loadedCount.current)) : pageSize }];
    setLoading(true);
    setError(null);
    setRequests((n) => n + reads.length);
    try {
      const pages = await Promise.all(reads.map((read) => fetchRef.current(read.after, read.limit)));
      if (gen !== generation.current) return;
      // Each page but the last came back whole and ended where the next began,
      // or the rows changed meanwhile: then only the first is kept, and the
      // rest is read on from its end.
      const joined = pages.every((page, i) => i === pages.length - 1 || (page.items.length === reads[i]!.limit && page.next === reads[i + 1]!.after));
      const kept = joined ? pages : pages.slice(0, 1);
      let more: T[] = [];
      for (const page of kept) {
        loadedCount.current += page.items.length;
        if (page.next !== null) ends.current.push({ count: loadedCount.current, next: page.next });
        more = more.concat(page.items);
      }
      const last = kept[kept.length - 1]!;
      cursor.current = last.next;
      finished.current = last.next === null;
      setDone(finished.current);
      setItems((old) => old.concat(more));
    } catch (raw) {
      if (gen !== generation.current) return;
      setError(api.asApiError(raw));
    } finally {
      if (gen === generation.current) {
        inFlight.current = false;
        setLoading(false);
      }
    }
  }

  // First page, and again whenever the reload key changes.
  useReadEffect(() => {
    generation.current += 1;
    cursor.current = null;
    inFlight.current = false;
    finished.current = false;
    loadedCount.current = 0;
    ends.current = [];
    // Only the first read after a mount goes back; a changed filter starts at the top.
    returning.current = !mounted.current && props.place ? takePlace(props.place.name, props.place.filter) : null;
    mounted.current = true;
    setItems([]);
    setDone(false);
    setError(null);
    setRequests(0);
    setSelected(-1);
    if (root.current) root.current.scrollTop = 0;
    setScrollTop(0);
    void loadMore();
  }, [props.reloadKey]);

  // Track the viewport height.
  useLayoutEffect(() => {
    const el = root.current;
    if (!el) return;
    setViewport(el.clientHeight || 480);
    const observer = new ResizeObserver(() => setViewport(el.clientHeight || 480));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const lastVisible = Math.ceil((scrollTop + viewport) / rowHeight);
  const last = Math.min(items.length, lastVisible + overscan);

  // Near the end of what is loaded (or the viewport is not yet filled): next page.
  useEffect(() => {
    if (!error && !done && !inFlight.current && items.length > 0 && lastVisible + prefetch >= items.length) {
      void loadMore();
    }
  }, [items.length, lastVisible, done, error]);

  // Gone back to a place: once its rows are read, its scroll and its row, before the paint.
  useLayoutEffect(() => {
    const back = returning.current;
    if (!back || error) return;
    if (!finished.current && items.length < back.loaded) {
      void loadMore();
      return;
    }
    returning.current = null;
    const el = root.current;
    if (el) {
      el.scrollTop = back.scrollTop;
      setScrollTop(el.scrollTop);
    }
    if (back.chosen === null || items.length === 0) return;
    const chosen = back.chosen;
    const found = items.findIndex((item) => props.keyOf(item) === chosen.key);
    // A row gone since (deleted from its page) leaves its place to the next one.
    select(found >= 0 ? found : chosen.index);
    if (focusLost()) el?.focus();
  }, [items.length, done, error]);

  // Left: where it was, for the next visit.
  const latest = useRef({ items, scrollTop, place: props.place });
  latest.current = { items, scrollTop, place: props.place };
  useEffect(
    () => () => {
      const { items: left, scrollTop: top, place } = latest.current;
      const at = selectedNow.current;
      if (!place) return;
      if (returning.current) {
        keepPlace(place.name, returning.current);
        return;
      }
      const item = left[at];
      keepPlace(place.name, {
        filter: place.filter,
        loaded: left.length,
        ends: ends.current,
        scrollTop: top,
        chosen: item === undefined ? null : { key: props.keyOf(item), index: at },
      });
    },
    [],
  );

  function select(index: number) {
    if (items.length === 0) return;
    const i = Math.max(0, Math.min(items.length - 1, index));
    setSelected(i);
    const el = root.current;
    if (!el) return;
    const top = i * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
    setScrollTop(el.scrollTop);
  }

  function onKeyDown(e: KeyboardEvent) {
    // Keys typed into a control inside a row (a select, a button) are its own.
    if (e.target !== e.currentTarget) return;
    const perPage = Math.max(1, Math.floor(viewport / rowHeight) - 1);
    switch (e.key) {
      case "ArrowDown":
        select(selected < 0 ? 0 : selected + 1);
        break;
      case "ArrowUp":
        select(selected < 0 ? 0 : selected - 1);
        break;
      case "PageDown":
        select(Math.max(0, selected) + perPage);
        break;
      case "PageUp":
        select(Math.max(0, selected) - perPage);
        break;
      case "Home":
        select(0);
        break;
      case "End":
        select(items.length - 1);
        break;
      case "Enter": {
        const item = items[selected];
        if (item !== undefined && props.onOpen) props.onOpen(item, selected);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }

  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i];
    if (item === undefined) continue;
    const isSelected = i === selected;
    rows.push(
      <div
        key={props.keyOf(item)}
        id={`${listId}-row-${i}`}
        role="option"
        class={isSelected ? "vlist-row selected" : "vlist-row"}
        aria-selected={isSelected}
        aria-posinset={i + 1}
        aria-setsize={done ? items.length : -1}
        aria-label={props.labelOf(item)}
        style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}
        onMouseDown={(e) => {
          if (interactive(e.target)) return;
          // Keep focus on the list so the keyboard keeps working after a click.
          e.preventDefault();
          root.current?.focus();
        }}
        onClick={(e) => {
          if (interactive(e.target)) return;
          setSelected(i);
          props.onOpen?.(item, i);
        }}
      >
        {props.renderRow(item, i, isSelected)}
      </div>,
    );
  }

  const isEmpty = done && items.length === 0 && !error;

  return (
    <div class="vlist-frame">
      {props.header && !isEmpty && (
        <div class="vlist-header" aria-hidden="true">
          {props.header}
        </div>
      )}
      {isEmpty && (
        <div class="empty" data-testid="vlist-empty">
          {props.empty ?? "Nothing here yet."}
        </div>
      )}
      <div
        ref={root}
        hidden={isEmpty}
        class={props.class ? `vlist ${props.class}` : "vlist"}
        role="listbox"
        tabIndex={0}
        aria-label={props.label}
        aria-busy={loading}
        aria-activedescendant={selected >= first && selected < last && selected >= 0 ? `${listId}-row-${selected}` : undefined}
        data-loaded-count={items.length}
        data-page-requests={requests}
        data-done={done ? "true" : "false"}
        onKeyDown={onKeyDown}
        onFocus={() => {
          // After any selection made before the focus came (a place gone back to).
          if (items.length > 0) setSelected((at) => (at < 0 ? 0 : at));
        }}
        onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      >
        <div class="vlist-space" style={{ height: `${items.length * rowHeight}px` }}>
          {rows}
        </div>
      </div>
      {(loading || error) && (
        <div class="vlist-status">
          {error ? (
            <span role="alert">
              Could not load the list ({error.code}): {api.describe(error)}{" "}
              <button class="link" onClick={() => void loadMore()}>
                Retry
              </button>
            </span>
          ) : (
            <span class="muted">Loading…</span>
          )}
        </div>
      )}
    </div>
  );
}
