// The "←" link at the top of a record's page: back to where the page was
// opened from, or to where the record lives (`home`), named.
import { labelOfRoute } from "../screens/navigation";
import { backTo, goBack, type Route } from "../state";

export function BackLink({ home }: { home: Route }) {
  return (
    <button class="link" onClick={() => goBack(home)}>
      ← {labelOfRoute(backTo(home))}
    </button>
  );
}
