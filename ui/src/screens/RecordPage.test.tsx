import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FunctionComponent } from "preact";
import { act } from "preact/test-utils";
import { useState } from "preact/hooks";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => undefined }));

import type { Contact } from "../bindings/Contact";
import { go, route, trail } from "../state";
import { find, mount, press, settle } from "../testing/dom";
import { bid, job, meta, project as makeProject } from "../testing/records";
import { BIDS_ON_JOB_AT_FIRST, RecordPage } from "./RecordPage";

const clientId = "0190a5f0-0000-7000-8000-0000000000c1";

const contact: Contact = { ...meta, id: "0190a5f0-0000-7000-8000-0000000000c2", client_id: clientId, name: "Ivo Stern", email: null, phone: "+49 30 1111", role: "Buyer", notes: "", tags: [] };
const project = makeProject(1, clientId, "Shop rebuild");

beforeEach(() => {
  invoke.mockReset();
  invoke.mockImplementation(async (command: string) => {
    if (command === "get_contact") return contact;
    if (command === "get_project") return project;
    if (command === "get_client") return { ...meta, id: clientId, name: "Nadia Berg" };
    if (command === "custom_fields") return [];
    return command.startsWith("list_") ? { items: [], next: null } : null;
  });
  // Opened first: no screen it was opened from.
  go({ screen: "record", kind: "contact", id: contact.id });
  trail.value = [];
});

async function open(kind: "contact" | "project", id: string): Promise<HTMLElement> {
  const root = await mount(<RecordPage kind={kind} id={id} />);
  await settle();
  return root;
}

describe("a record's page, by keyboard", () => {
  it("keeps one key listener while it re-renders, and its keys still work", async () => {
    // The app around the screen renders it again with the same route. A
    // prop the page ignores changes each time: @preact/signals skips a
    // component whose props are all the same, and the page must render.
    const Page = RecordPage as unknown as FunctionComponent<{ kind: "contact"; id: string; tick: number }>;
    let rerender = () => {};
    function App() {
      const [tick, setTick] = useState(0);
      rerender = () => setTick((n) => n + 1);
      return <Page kind="contact" id={contact.id} tick={tick} />;
    }
    await mount(<App />);
    await settle();
    const added = vi.spyOn(window, "addEventListener");
    const removed = vi.spyOn(window, "removeEventListener");
    for (let i = 0; i < 3; i++) await act(() => rerender());
    expect(document.querySelector("h1")?.textContent).toBe("Ivo Stern");
    const keydown = (spy: typeof added | typeof removed) => spy.mock.calls.filter(([type]) => type === "keydown").length;
    expect(keydown(added)).toBe(0);
    expect(keydown(removed)).toBe(0);

    await press("n");
    expect(document.activeElement?.id).toBe("field-activity-body");
    (document.activeElement as HTMLElement).blur();
    await press("Escape");
    expect(route.value).toEqual({ screen: "client", id: clientId });
  });

  it("puts the focus on the record's title when the page has drawn", async () => {
    const root = await open("contact", contact.id);
    expect(document.activeElement).toBe(find(root, "h1"));
  });

  it("E edits, and Esc does not leave while the form is open", async () => {
    const root = await open("contact", contact.id);
    await press("e");
    expect(find<HTMLInputElement>(root, "#field-contact-edit-phone").value).toBe("+49 30 1111");
    (document.activeElement as HTMLElement | null)?.blur();
    await press("Escape");
    expect(route.value).toEqual({ screen: "record", kind: "contact", id: contact.id });
  });

  it("Esc on a project's page opened first goes to Projects; its milestone form keeps the ids the e2e fills", async () => {
    const root = await open("project", project.id);
    expect(find(root, "button.link").textContent).toBe("← Projects");
    await press("Escape");
    expect(route.value).toEqual({ screen: "projects" });

    const add = [...root.querySelectorAll("button")].find((b) => b.textContent === "Add milestone")!;
    await act(() => add.click());
    find(root, "#field-milestone-new-title");
    find(root, "#field-milestone-new-amount");
  });
});

describe("back from a record's page", () => {
  it("goes where the page was opened from, and its link says where", async () => {
    go({ screen: "tasks" });
    go({ screen: "record", kind: "project", id: project.id });
    const root = await open("project", project.id);
    const back = find(root, "button.link");
    expect(back.textContent).toBe("← Tasks");
    await press("Escape");
    expect(route.value).toEqual({ screen: "tasks" });
    expect(trail.value).toEqual([]);
  });

  it("goes back page by page", async () => {
    go({ screen: "client", id: clientId });
    go({ screen: "record", kind: "project", id: project.id });
    go({ screen: "record", kind: "contact", id: contact.id });
    const root = await open("contact", contact.id);
    expect(find(root, "button.link").textContent).toBe("← Project");
    await act(() => find(root, "button.link").click());
    expect(route.value).toEqual({ screen: "record", kind: "project", id: project.id });
    const projectPage = await open("project", project.id);
    expect(find(projectPage, "button.link").textContent).toBe("← Client");
    await press("Escape");
    expect(route.value).toEqual({ screen: "client", id: clientId });
  });
});

describe("a job's page", () => {
  it("shows its first bids and the rest behind Show more, read after the last one shown", async () => {
    const posting = job(1, "Checkout rework");
    const bids = Array.from({ length: BIDS_ON_JOB_AT_FIRST + 5 }, (_, i) => bid(i, posting.id, 1000 + i));
    invoke.mockImplementation(async (command: string, args?: { filter?: { job_id?: string }; page?: { limit: number; after?: string } }) => {
      if (command === "get_job") return posting;
      if (command === "custom_fields") return [];
      if (command === "list_bids" && args?.filter?.job_id === posting.id && args.page) {
        const start = args.page.after === undefined ? 0 : Number(args.page.after);
        const end = Math.min(start + args.page.limit, bids.length);
        return { items: bids.slice(start, end), next: end < bids.length ? String(end) : null };
      }
      return command.startsWith("list_") ? { items: [], next: null } : null;
    });
    const root = await mount(<RecordPage kind="job" id={posting.id} />);
    await settle();
    const shown = () => root.querySelectorAll('[aria-label="Bids on this job"] li').length;
    expect(shown()).toBe(BIDS_ON_JOB_AT_FIRST);
    const more = [...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent === "Show more bids");
    expect(more).toBeDefined();
    await act(() => more!.click());
    await settle();
    expect(shown()).toBe(bids.length);
    expect([...root.querySelectorAll("button")].some((b) => b.textContent === "Show more bids")).toBe(false);
  });
});
