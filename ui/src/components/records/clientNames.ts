// Client names for lists of other records, fetched once per id and shared.
import { useEffect, useState } from "preact/hooks";
import * as api from "../../api";
import type { Id } from "../../bindings/Id";

const cache = new Map<Id, Promise<string>>();

export function clientName(id: Id): Promise<string> {
  let found = cache.get(id);
  if (!found) {
    found = api.clients.get(id).then(
      (c) => c.name,
      (raw) => {
        cache.delete(id);
        const err = api.asApiError(raw);
        return err.code === "not_found" ? "(deleted client)" : "(unavailable)";
      },
    );
    cache.set(id, found);
  }
  return found;
}

/** The client's name once loaded; null until then. */
export function useClientName(id: Id): string | null {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setName(null);
    void clientName(id).then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [id]);
  return name;
}
