// A small paged loader for the lists inside a detail page: the first page,
// then "Show more" through the keyset cursor.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../../api";
import type { Page } from "../../bindings/Page";

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: api.ApiError | null;
  hasMore: boolean;
  more: () => void;
  reload: () => void;
}

export function usePaged<T>(fetch: (after: string | null) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<api.ApiError | null>(null);
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;

  async function load(after: string | null) {
    const gen = generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchRef.current(after);
      if (gen !== generation.current) return;
      setItems((old) => (after === null ? page.items : old.concat(page.items)));
      setNext(page.next);
    } catch (raw) {
      if (gen === generation.current) setError(api.asApiError(raw));
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }

  useEffect(() => {
    generation.current += 1;
    void load(null);
  }, [...deps, reloads]);

  return {
    items,
    loading,
    error,
    hasMore: next !== null,
    more: () => {
      if (next !== null && !loading) void load(next);
    },
    reload: () => setReloads((n) => n + 1),
  };
}
