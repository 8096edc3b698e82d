// Which screen shows for a route (the navigation that leads there is navigation.ts).
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
export { NAVIGATION, labelOfRoute, topOf, type Top } from "./navigation";

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
