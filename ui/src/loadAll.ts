// Reading every page of a list, for the screens that show a whole list at once.

/** Every page of a list, up to `max` items. */
export async function loadAll<T>(
  fetch: (after: string | null) => Promise<{ items: T[]; next: string | null }>,
  max = 2000,
): Promise<{ items: T[]; more: string | null }> {
  const items: T[] = [];
  let after: string | null = null;
  do {
    const page: { items: T[]; next: string | null } = await fetch(after);
    items.push(...page.items);
    after = page.next;
  } while (after !== null && items.length < max);
  return { items, more: after };
}
