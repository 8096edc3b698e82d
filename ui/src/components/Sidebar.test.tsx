import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { route, type Route } from "../state";
import { find, mount } from "../testing/dom";
import { Sidebar } from "./Sidebar";

/** A screen's field outside the sidebar, focused, as the user left it. */
function focusedField(root: HTMLElement): HTMLInputElement {
  const field = document.createElement("input");
  root.append(field);
  field.focus();
  return field;
}

async function goTo(to: Route): Promise<void> {
  await act(() => {
    route.value = to;
  });
}

const button = (root: HTMLElement, label: string) => find(root, `nav button[aria-current="page"]`).textContent === label;

beforeEach(() => {
  invoke.mockReset();
  route.value = { screen: "clients" };
});

describe("the sidebar", () => {
  it("marks the screen shown, also for a page inside it", async () => {
    const root = await mount(<Sidebar onLock={() => undefined} />);
    expect(button(root, "Clients2")).toBe(true);
    await goTo({ screen: "record", kind: "bid", id: "b1" });
    expect(button(root, "Bids5")).toBe(true);
  });

  it("takes the focus the old screen lost to the new screen's button", async () => {
    const root = await mount(<Sidebar onLock={() => undefined} />);
    focusedField(root).remove();
    expect(document.activeElement).toBe(document.body);
    await goTo({ screen: "bids" });
    expect(document.activeElement?.textContent).toBe("Bids5");
    expect(document.activeElement?.getAttribute("aria-current")).toBe("page");
  });

  it("moves the focus along the sidebar when it was there", async () => {
    const root = await mount(<Sidebar onLock={() => undefined} />);
    find<HTMLButtonElement>(root, 'nav button[aria-current="page"]').focus();
    await goTo({ screen: "tasks" });
    expect(document.activeElement?.textContent).toBe("Tasks6");
  });

  it("leaves a focus the new screen placed itself", async () => {
    const root = await mount(<Sidebar onLock={() => undefined} />);
    const field = focusedField(root);
    await goTo({ screen: "jobs" });
    expect(document.activeElement).toBe(field);
  });

  it("leaves the focus alone when the screen stays (a client's page from the list)", async () => {
    const root = await mount(<Sidebar onLock={() => undefined} />);
    focusedField(root).remove();
    await goTo({ screen: "client", id: "c1" });
    expect(document.activeElement).toBe(document.body);
  });
});
