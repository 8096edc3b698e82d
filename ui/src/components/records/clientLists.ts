// How a client's page reads each of its lists: how many rows it shows at
// first, and in which order. The page reads every list's first page in one
// call with the client (`client_page`, ClientDetail.tsx); each section then
// goes on ("Show more") and reads again after a change with its own call,
// in the same order, so its cursor carries on from that first page.
import type { ClientPageRequest } from "../../bindings/ClientPageRequest";
import type { Sort } from "../../bindings/Sort";
import { page } from "../../api";

// Five rows at first in the contacts, projects and bids: an 800 px window
// then shows the start of each of the first four sections, and the first
// opening of a key account's page in a launch draws half as many rows
// (docs/performance.md, session 28). The timeline keeps ten: it is read
// as a feed.
export const CLIENT_LISTS = {
  contacts: { first: 5, sort: "name" },
  projects: { first: 5, sort: "newest" },
  bids: { first: 5, sort: "newest" },
  // All of the client's milestones in one page (the core's largest), grouped
  // under the projects shown (Milestones.tsx's ClientMilestones).
  milestones: { first: 1000, sort: "oldest" },
  // Newest first, as Timeline.tsx reads it on.
  timeline: { first: 10, sort: "happened" },
} as const satisfies Record<keyof ClientPageRequest, { first: number; sort: Sort }>;

/** The first page of every list, as `client_page` takes it. */
export function clientPageRequest(): ClientPageRequest {
  const first = ({ first, sort }: { first: number; sort: Sort }) => page(first, null, sort);
  return {
    contacts: first(CLIENT_LISTS.contacts),
    projects: first(CLIENT_LISTS.projects),
    bids: first(CLIENT_LISTS.bids),
    milestones: first(CLIENT_LISTS.milestones),
    timeline: first(CLIENT_LISTS.timeline),
  };
}
