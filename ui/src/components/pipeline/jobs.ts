// Job titles for bid cards, fetched once per id and shared across screens.
import { signal } from "@preact/signals";
import * as api from "../../api";
import type { Id } from "../../bindings/Id";
import type { Job } from "../../bindings/Job";

export const jobTitles = signal<Record<Id, string>>({});
const asked = new Set<Id>();

export function rememberJob(job: Job): void {
  asked.add(job.id);
  jobTitles.value = { ...jobTitles.value, [job.id]: job.title };
}

/** Fetches the titles not yet known; a missing job shows as "(job removed)". */
export async function ensureJobTitles(ids: Id[]): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !asked.has(id));
  missing.forEach((id) => asked.add(id));
  const found = await Promise.all(
    missing.map((id) =>
      api.jobs.get(id).then(
        (job) => [id, job.title] as const,
        () => [id, "(job removed)"] as const,
      ),
    ),
  );
  if (found.length === 0) return;
  jobTitles.value = { ...jobTitles.value, ...Object.fromEntries(found) };
}

export function jobTitle(id: Id): string {
  return jobTitles.value[id] ?? "…";
}

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
