// Focus a field when a form opens (autofocus only works on page load).
import { useEffect } from "preact/hooks";

export function useFocusOnMount(id: string, active = true): void {
  useEffect(() => {
    if (active) document.getElementById(id)?.focus();
  }, [active]);
}
