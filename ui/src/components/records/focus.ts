// Focus a field when a form opens (autofocus only works on page load).
// A layout effect, so the focus moves before the form is painted: with a
// plain effect, keys typed at once (a fast typist, a WebDriver test) went
// to the field clicked first and then, mid-word, to the first field.
import { useLayoutEffect } from "preact/hooks";

export function useFocusOnMount(id: string, active = true): void {
  useLayoutEffect(() => {
    if (active) document.getElementById(id)?.focus();
  }, [active]);
}
