// The main navigation: a button for each screen, the current one marked,
// and Lock. A screen change that takes the focus away with the old screen
// (an Alt+number shortcut, the palette, a link inside a screen) leaves the
// focus on the new screen's button, where a click would have put it: a
// keyboard user goes on from a known place, and a screen reader says which
// screen is now shown. A focus the new screen placed itself (a page's
// title) is left where it is.
import { useEffect, useRef } from "preact/hooks";
import { NAVIGATION, topOf, type Top } from "../screens";
import { focusLost } from "../places";
import { go, route } from "../state";

export function Sidebar({ onLock }: { onLock: () => void }) {
  const current = topOf(route.value);
  const nav = useRef<HTMLElement>(null);
  const buttons = useRef<Partial<Record<Top, HTMLButtonElement | null>>>({});
  const shown = useRef(current);
  useEffect(() => {
    if (shown.current === current) return;
    shown.current = current;
    if (focusLost() || nav.current?.contains(document.activeElement)) buttons.current[current]?.focus();
  }, [current]);
  return (
    <nav class="sidebar" aria-label="Main" ref={nav}>
      <p class="brand">Bidwell</p>
      <ul>
        {NAVIGATION.map((item) => (
          <li key={item.screen}>
            <button
              ref={(button) => {
                buttons.current[item.screen] = button;
              }}
              class={current === item.screen ? "nav active" : "nav"}
              aria-current={current === item.screen ? "page" : undefined}
              onClick={() => go({ screen: item.screen })}
            >
              {item.label}
              <kbd>{item.key}</kbd>
            </button>
          </li>
        ))}
      </ul>
      <button class="nav lock" onClick={onLock}>
        Lock
      </button>
    </nav>
  );
}
