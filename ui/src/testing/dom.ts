// Helpers of the UI's unit tests (vitest, happy-dom): mount a component,
// type into a field, and let pending promises and renders finish. The
// commands are not run: each test file mocks `invoke` and says what the
// core answers.
import { render, type ComponentChild } from "preact";
import { act } from "preact/test-utils";

let mounted: HTMLElement | null = null;

/** Renders `node` into a fresh container in the document. */
export async function mount(node: ComponentChild): Promise<HTMLElement> {
  if (mounted) render(null, mounted);
  mounted = document.createElement("div");
  document.body.replaceChildren(mounted);
  await act(() => render(node, mounted as HTMLElement));
  return mounted;
}

/** Lets answered commands resolve and the renders they cause happen. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

/** Types `value` into an input or text area as a user does: value, then an input event. */
export async function typeInto(field: Element | null, value: string): Promise<void> {
  if (!(field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement)) throw new Error("not a text field");
  await act(() => {
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** Picks `value` in a select as a user does: value, then a change event. */
export async function chooseIn(select: Element | null, value: string): Promise<void> {
  if (!(select instanceof HTMLSelectElement)) throw new Error("not a select");
  await act(() => {
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

/** A key press on `target` (the window when none). */
export async function press(key: string, options: KeyboardEventInit = {}, target: EventTarget = window): Promise<void> {
  await act(() => {
    target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...options }));
  });
}

/** The element `selector` finds, or a failure naming it. */
export function find<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`nothing matches ${selector}`);
  return found;
}
