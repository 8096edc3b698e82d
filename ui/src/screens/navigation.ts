// The screens of the sidebar, the one a route belongs to, and what a link
// back to a route says. Apart from screens/index.tsx, so that a page can
// use it without importing every screen.
import type { PageKind, Route } from "../state";

/** The screens the sidebar leads to; a client's or a record's page belongs to one of them (`topOf`). */
export type Top = Exclude<Route["screen"], "client" | "record">;

/** Alt+key jumps to a screen (listed in the shortcuts overlay too). */
export const NAVIGATION: { screen: Top; label: string; key: string }[] = [
  { screen: "dashboard", label: "Dashboard", key: "1" },
  { screen: "clients", label: "Clients", key: "2" },
  { screen: "projects", label: "Projects", key: "3" },
  { screen: "jobs", label: "Jobs", key: "4" },
  { screen: "bids", label: "Bids", key: "5" },
  { screen: "tasks", label: "Tasks", key: "6" },
  { screen: "settings", label: "Settings", key: "7" },
];

/** The list screen a route belongs to, for the sidebar's highlight. */
export function topOf(route: Route): Top {
  if (route.screen === "client") return "clients";
  if (route.screen !== "record") return route.screen;
  return route.kind === "contact" ? "clients" : route.kind === "project" ? "projects" : route.kind === "job" ? "jobs" : "bids";
}

const PAGE_LABEL: Record<PageKind | "client", string> = { client: "Client", contact: "Contact", project: "Project", job: "Job", bid: "Bid" };

/** What a "←" link back to `to` says: the sidebar screen's name, or the kind of record whose page it is. */
export function labelOfRoute(to: Route): string {
  if (to.screen === "client") return PAGE_LABEL.client;
  if (to.screen === "record") return PAGE_LABEL[to.kind];
  return NAVIGATION.find((item) => item.screen === to.screen)?.label ?? "Back";
}
