// Which screen shows for a route, and the navigation that leads there.
import type { Route } from "../state";
import { Bids } from "./Bids";
import { ClientDetail } from "./ClientDetail";
import { Clients } from "./Clients";
import { Dashboard } from "./Dashboard";
import { Jobs } from "./Jobs";
import { Projects } from "./Projects";
import { RecordPage } from "./RecordPage";
import { Settings } from "./Settings";
import { Tasks } from "./Tasks";

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

export function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case "dashboard":
      return <Dashboard />;
    case "clients":
      return <Clients />;
    case "client":
      return <ClientDetail id={route.id} />;
    case "record":
      return <RecordPage kind={route.kind} id={route.id} />;
    case "projects":
      return <Projects />;
    case "jobs":
      return <Jobs />;
    case "bids":
      return <Bids />;
    case "tasks":
      return <Tasks />;
    case "settings":
      return <Settings tab={route.tab} />;
  }
}
