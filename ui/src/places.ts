// Where the user left each list. Its filters and view stay set whenever it
// is opened again (`useKept`). Going back to it from a record's page (Esc,
// "←": `goBack`), it also reads as far as it was read and selects or
// focuses what opened the record, so working down a list one record at a
// time never starts again from the top; from the sidebar it starts at its
// top, as a fresh visit, without reading again all that was scrolled
// through. Held in this window's memory only; locking forgets it all.
import { useLayoutEffect, useState } from "preact/hooks";

const kept = new Map<string, unknown>();

/** Whether the route on show was reached by going back (state.ts says so on each move). */
let wentBack = false;
export function arrive(back: boolean): void {
  wentBack = back;
}

/** Whether nothing holds the focus: the element that had it went with the screen it was on. */
export function focusLost(): boolean {
  const focused = document.activeElement;
  return focused === null || focused === document.body;
}

/** `useState` whose value outlives the screen: the next mount under `name` starts from the last value set. */
export function useKept<T>(name: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => (kept.has(name) ? (kept.get(name) as T) : initial));
  return [
    value,
    (next: T) => {
      kept.set(name, next);
      setValue(next);
    },
  ];
}

/** Where a page of a list ended: `count` rows read, and the cursor that reads on from there. */
export interface PageEnd {
  count: number;
  next: string;
}

/** Where a long list was left: read under `filter`, `loaded` rows (its pages' `ends`), scrolled to `scrollTop`, `chosen` the row selected. */
export interface ListPlace {
  filter: string;
  loaded: number;
  ends: PageEnd[];
  scrollTop: number;
  chosen: { key: string; index: number } | null;
}

export function keepPlace(name: string, place: ListPlace): void {
  kept.set(`place:${name}`, place);
}

/** The place `name` was left at, gone back to under the same filter; taken once. */
export function takePlace(name: string, filter: string): ListPlace | null {
  const place = kept.get(`place:${name}`) as ListPlace | undefined;
  kept.delete(`place:${name}`);
  return place !== undefined && place.filter === filter && wentBack ? place : null;
}

/** How many items each part of a list in parts was shown (components/ShowMore.tsx), under `filter`. */
export function keepSizes<K extends string>(name: string, filter: string, sizes: Partial<Record<K, number>>): void {
  kept.set(`sizes:${name}`, { filter, sizes });
}

export function takeSizes<K extends string>(name: string, filter: string): Partial<Record<K, number>> | null {
  const left = kept.get(`sizes:${name}`) as { filter: string; sizes: Partial<Record<K, number>> } | undefined;
  kept.delete(`sizes:${name}`);
  return left !== undefined && left.filter === filter && wentBack ? left.sizes : null;
}

/** The row or card whose button (`data-opener={key}`) opened a record from list `name`. */
export function keepOpener(name: string, key: string): void {
  kept.set(`opener:${name}`, key);
}

/**
 * Once list `name` is drawn again (`drawn`) after going back, the button
 * that opened a record from it takes the focus back, if it is drawn and
 * nothing else holds the focus (Esc took it away with the record's page).
 */
export function useFocusOpener(name: string, drawn: boolean): void {
  useLayoutEffect(() => {
    if (!drawn) return;
    const key = kept.get(`opener:${name}`);
    kept.delete(`opener:${name}`);
    if (typeof key !== "string" || !wentBack || !focusLost()) return;
    document.querySelector<HTMLElement>(`[data-opener="${CSS.escape(key)}"]`)?.focus();
  }, [drawn]);
}

/** Locked, or no workspace open: every list starts afresh. */
export function forgetPlaces(): void {
  kept.clear();
}
