import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => undefined }));

import type { Activity } from "../bindings/Activity";
import type { Bid } from "../bindings/Bid";
import type { Client } from "../bindings/Client";
import type { ClientPageRequest } from "../bindings/ClientPageRequest";
import type { Contact } from "../bindings/Contact";
import type { Milestone } from "../bindings/Milestone";
import type { PageRequest } from "../bindings/PageRequest";
import type { Project } from "../bindings/Project";
import { route } from "../state";
import { chooseIn, find, mount, settle } from "../testing/dom";
import { contact, meta, note, project } from "../testing/records";
import { ClientDetail } from "./ClientDetail";


const client: Client = {
  ...meta,
  id: "0190a5f0-0000-7000-8000-0000000000c1",
  kind: "person",
  name: "Zoë Okafor",
  email: null,
  phone: "+49 30 1111",
  company: "",
  website: null,
  country: "DE",
  notes: "",
  restricted: false,
  archived_at: null,
  tags: [],
  fields: { Tier: "Gold", "Account code": "" },
};

const brand = project(1, client.id, "Brand refresh");
const shop = project(2, client.id, "Shop rebuild");

function milestone(n: number, owner: Project, title: string, status: Milestone["status"]): Milestone {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000m${n}`,
    project_id: owner.id,
    bid_id: null,
    title,
    amount_minor: 50000,
    currency: "EUR",
    status,
    due_date: null,
    kept_reason: null,
    tags: [],
  };
}

function bid(n: number, jobTitle: string, status: Bid["status"]): Bid {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000b${n}`,
    job_id: `0190a5f0-0000-7000-8000-0000000000j${n}`,
    project_id: null,
    status,
    amount_minor: 120000,
    currency: "EUR",
    delivery_days: 10,
    milestone_percentage: 0,
    proposal: "",
    submitted_at: null,
    server_version: null,
    job_title: jobTitle,
    tags: [],
  };
}

let milestones: Milestone[] = [];
let bids: Bid[] = [];
let projects: Project[] = [];
let contacts: Contact[] = [];
let notes: Activity[] = [];

/**
 * One keyset page of `items` as the core answers `request`: `limit` items
 * after the cursor ("order:index" here). Like the core's, a cursor goes on
 * only in the order it was made in.
 */
function pageOf<T>(items: T[], request: PageRequest | undefined) {
  const sort = request?.sort ?? "newest";
  let from = 0;
  if (request?.after) {
    const [madeIn, index] = request.after.split(":");
    if (madeIn !== sort) throw { code: "validation", field: "after", message: `a cursor of the ${madeIn} order, asked to go on in ${sort} order`, transient: false };
    from = Number(index);
  }
  const end = from + (request?.limit || 50);
  return { items: items.slice(from, end), next: end < items.length ? `${sort}:${end}` : null };
}

/** One page of `items` as a list command answers its `page` argument. */
const page = <T,>(items: T[], args: Record<string, unknown>) => pageOf(items, args["page"] as PageRequest | undefined);

/** The core behind the client's page; milestones move as set_milestone_status says. */
function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "get_client":
      return client;
    case "client_page": {
      if (args["id"] !== client.id) throw { code: "not_found", message: "No such client", transient: false };
      const request = args["request"] as ClientPageRequest;
      return {
        client,
        contacts: pageOf(contacts, request.contacts),
        projects: pageOf(projects, request.projects),
        bids: pageOf(bids, request.bids),
        milestones: pageOf(milestones.map((m) => ({ ...m })), request.milestones),
        timeline: pageOf(notes, request.timeline),
        consents: [],
      };
    }
    case "list_projects":
      return page(projects, args);
    case "list_contacts":
      return page(contacts, args);
    case "list_activities":
      return page(notes, args);
    case "update_project":
      return { ...projects.find((p) => p.id === args["id"])!, ...(args["patch"] as object) };
    case "list_milestones_of_client_projects":
      return page(args["clientId"] === client.id ? milestones.map((m) => ({ ...m })) : [], args);
    case "list_bids_on_client_jobs":
      return page(args["clientId"] === client.id ? bids : [], args);
    case "delete_record":
      contacts = contacts.filter((c) => c.id !== args["id"]);
      return null;
    case "set_milestone_status": {
      const m = milestones.find((x) => x.id === args["id"])!;
      m.status = args["status"] as Milestone["status"];
      return m;
    }
    case "custom_fields":
    case "consents":
      return [];
    default:
      return command.startsWith("list_") ? page([], args) : null;
  }
}

/** The commands the page sent, by name. */
const sent = (command: string) => invoke.mock.calls.filter(([name]) => name === command);

/** What `client_page` was asked for each list, in the one call the page opened with. */
function firstPagesAsked(): ClientPageRequest {
  const calls = sent("client_page");
  expect(calls.length, "the page opens with one call").toBe(1);
  expect(calls[0]![1]).toMatchObject({ id: client.id });
  return (calls[0]![1] as { request: ClientPageRequest }).request;
}

/** Every list command the client's page has, none of which it needs to open. */
const LIST_COMMANDS = ["get_client", "list_contacts", "list_projects", "list_bids_on_client_jobs", "list_milestones_of_client_projects", "list_activities", "consents"];

/** A command that answers only when the test says so. */
function held(command: string): { release: () => void } {
  let release = () => {};
  invoke.mockImplementation(async (name: string, args: Record<string, unknown>) =>
    name === command ? new Promise<unknown>((resolve) => (release = () => resolve(core(name, args ?? {})))) : core(name, args ?? {}),
  );
  return { release: () => release() };
}

/** A command that fails with `err`, as the shell sends a core error. */
function failing(command: string, err: unknown) {
  invoke.mockImplementation(async (name: string, args: Record<string, unknown>) => {
    if (name === command) throw err;
    return core(name, args ?? {});
  });
}

beforeEach(() => {
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args ?? {}));
  milestones = [milestone(1, brand, "Design", "pending"), milestone(2, brand, "Build", "funded"), milestone(3, shop, "Launch", "pending")];
  bids = [bid(1, "Logo for the shop", "submitted"), bid(2, "Catalog import", "draft")];
  projects = [brand, shop];
  contacts = [];
  notes = [];
});

async function open(): Promise<HTMLElement> {
  const root = await mount(<ClientDetail id={client.id} />);
  await settle();
  return root;
}

const texts = (root: ParentNode, selector: string) => [...root.querySelectorAll(selector)].map((e) => e.textContent?.trim() ?? "");

async function click(element: HTMLElement) {
  await act(() => element.click());
  await settle();
}

describe("a client's page", () => {
  it("shows the client's facts, leaving out the unset and the emptied", async () => {
    const facts = find(await open(), "dl.facts"); // the first: the consents have theirs below
    expect(texts(facts, "dt")).toEqual(["Kind", "Phone", "Country", "Tier"]);
    expect(texts(facts, "dd")).toEqual(["Person", "+49 30 1111", "DE", "Gold"]);
  });

  it("lists each project's milestones under the project's name, with one request for all of the client's", async () => {
    const root = await open();
    expect(texts(root, "ul[aria-label='Milestones of Brand refresh'] strong")).toEqual(["Design", "Build"]);
    expect(texts(root, "ul[aria-label='Milestones of Shop rebuild'] strong")).toEqual(["Launch"]);
    expect(firstPagesAsked().milestones).toEqual({ limit: 1000, sort: "oldest", include_deleted: false });
    expect(sent("list_milestones_of_client_projects"), "read with the page").toEqual([]);
    expect(sent("list_milestones"), "no request per project").toEqual([]);

    // The project's name opens its page.
    const heading = [...root.querySelectorAll<HTMLButtonElement>(".milestones-of h3 button")].find((b) => b.textContent === "Shop rebuild")!;
    await click(heading);
    expect(route.value).toEqual({ screen: "record", kind: "project", id: shop.id });
  });

  it("lists the bids on the client's jobs with one request, each a link to the bid", async () => {
    const root = await open();
    expect(texts(root, "ul[aria-label='Bids'] li button")).toEqual(["Logo for the shop", "Catalog import"]);
    expect(texts(root, "ul[aria-label='Bids'] .pill")).toEqual(["submitted", "draft"]);
    expect(firstPagesAsked().bids).toEqual({ limit: 5, sort: "newest", include_deleted: false });
    expect(sent("list_bids_on_client_jobs"), "read with the page").toEqual([]);
    expect(sent("list_jobs"), "no request for the jobs").toEqual([]);
    expect(sent("list_bids"), "no request per job").toEqual([]);

    await click(find(root, "ul[aria-label='Bids'] li button"));
    expect(route.value).toEqual({ screen: "record", kind: "bid", id: bids[0]!.id });
  });

  it("says so when the client's jobs have no bids", async () => {
    bids = [];
    const root = await open();
    expect(find(root, "section[aria-labelledby='client-bids-title']").textContent).toContain("No bids on this client’s jobs.");
    expect(root.querySelector("ul[aria-label='Bids']")).toBeNull();
  });

  it("asks for neither the bids nor the milestones again when only the projects change", async () => {
    const root = await open();
    await chooseIn(find(root, "select[aria-label='Status of Shop rebuild']"), "on_hold");
    await settle();
    expect(invoke).toHaveBeenCalledWith("update_project", { id: shop.id, patch: { status: "on_hold" } });
    expect(sent("list_projects").length, "the projects were read again").toBe(1);
    expect(sent("client_page").length).toBe(1);
    expect(sent("list_milestones_of_client_projects").length).toBe(0);
    expect(sent("list_bids_on_client_jobs").length).toBe(0);
    expect(texts(root, "ul[aria-label='Milestones of Shop rebuild'] strong")).toEqual(["Launch"]);
  });

  it("says Loading… until its one answer, then draws every section with it, nothing claiming to be empty before", async () => {
    const pageAnswer = held("client_page");
    const root = await open();
    expect(root.textContent).toContain("Loading…");
    expect(root.querySelector("section"), "no section before the answer").toBeNull();
    pageAnswer.release();
    await settle();
    expect(texts(root, "ul[aria-label='Milestones of Brand refresh'] strong")).toEqual(["Design", "Build"]);
    expect(texts(root, "ul[aria-label='Bids'] li button")).toEqual(["Logo for the shop", "Catalog import"]);
    expect(root.textContent).not.toContain("Loading…");
    for (const command of LIST_COMMANDS) expect(sent(command), command).toEqual([]);
  });

  it("puts the focus on the client's name when the page has drawn, so a keyboard starts from there", async () => {
    const root = await open();
    expect(document.activeElement).toBe(find(root, "h1"));
  });

  it("says clearly when the page cannot be read", async () => {
    failing("client_page", { code: "database_busy", message: "The database is busy", transient: true });
    const root = await open();
    expect(texts(root, "[role='alert']")).toEqual(["Could not load the client (database_busy): The database is busy"]);
    expect(root.querySelector("section")).toBeNull();
  });

  it("says once, clearly, when the client's milestones cannot be read again, keeping those shown", async () => {
    const root = await open();
    failing("list_milestones_of_client_projects", { code: "locked", message: "The workspace is locked", transient: false });
    await click(find(root, "button[aria-label='Fund Design']"));
    const section = find(root, "section[aria-labelledby='client-milestones-title']");
    expect(texts(section, "[role='alert']")).toEqual(["Could not load (locked): The workspace is locked"]);
    expect(texts(root, "ul[aria-label='Milestones of Brand refresh'] strong")).toEqual(["Design", "Build"]);
    expect(section.textContent).not.toContain("No milestones yet.");
  });

  it("offers the escrow moves the core allows, and a move shows at once", async () => {
    const root = await open();
    expect(root.querySelector("button[aria-label='Fund Design']")).not.toBeNull();
    for (const move of ["Release", "Refund", "Dispute"]) expect(root.querySelector(`button[aria-label='${move} Build']`), move).not.toBeNull();
    expect(root.querySelector("button[aria-label='Fund Build']")).toBeNull();

    await click(find(root, "button[aria-label='Fund Design']"));
    expect(invoke).toHaveBeenCalledWith("set_milestone_status", { id: milestones[0]!.id, status: "funded" });
    expect(sent("list_milestones_of_client_projects").length, "read again once, for the whole client").toBe(1);
    const design = [...root.querySelectorAll("ul[aria-label='Milestones of Brand refresh'] li")].find((li) => li.textContent?.includes("Design"))!;
    expect(design.querySelector(".pill")?.textContent).toBe("funded");
    expect(design.querySelector("button[aria-label='Release Design']")).not.toBeNull();
  });

  it("adds a milestone to a project, each project's form with ids of its own", async () => {
    const root = await open();
    await click(find(root, "button[aria-label='Add milestone to Brand refresh']"));
    await click(find(root, "button[aria-label='Add milestone to Shop rebuild']"));
    const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(root.querySelectorAll("input[id^='field-milestone-new-'][id$='-title']").length).toBe(2);
  });
});

describe("a key account's page", () => {
  const numbered = (n: number) => String(n).padStart(2, "0");
  const rows = (root: ParentNode, list: string) => root.querySelectorAll(`ul[aria-label='${list}'] > li`).length;

  beforeEach(() => {
    contacts = Array.from({ length: 45 }, (_, i) => contact(i + 1, client.id, `Contact ${numbered(i + 1)}`));
    projects = Array.from({ length: 30 }, (_, i) => project(i + 1, client.id, `Project ${numbered(i + 1)}`));
    bids = Array.from({ length: 25 }, (_, i) => bid(i + 1, `Job ${numbered(i + 1)}`, "submitted"));
    notes = Array.from({ length: 30 }, (_, i) => note(i + 1, { kind: "client", id: client.id }, `Note ${numbered(i + 1)}`, `2026-01-01T${numbered(23 - (i % 24))}:00:00Z`));
    // Twelve on the newest project, one on each other project.
    milestones = [
      ...Array.from({ length: 12 }, (_, i) => milestone(100 + i, projects[0]!, `Step ${numbered(i + 1)}`, "pending")),
      ...projects.slice(1).map((p, i) => milestone(200 + i, p, `Payment of ${p.name}`, "pending")),
    ];
  });

  it("draws the first few rows of each section, all read with one call", async () => {
    const root = await open();
    expect(rows(root, "Contacts")).toBe(5);
    expect(rows(root, "Projects")).toBe(5);
    expect(rows(root, "Bids")).toBe(5);
    expect(root.querySelectorAll("ol[aria-label='Timeline, newest first'] > li").length).toBe(10);
    // Milestones under the five projects shown only, at most ten each.
    const groups = [...root.querySelectorAll("ul[aria-label^='Milestones of ']")].map((ul) => ul.getAttribute("aria-label"));
    expect(groups).toEqual(projects.slice(0, 5).map((p) => `Milestones of ${p.name}`));
    expect(rows(root, "Milestones of Project 01")).toBe(10);
    expect(rows(root, "Milestones of Project 02")).toBe(1);

    const request = (limit: number, sort: string) => ({ limit, sort, include_deleted: false });
    expect(firstPagesAsked()).toEqual({
      contacts: request(5, "name"),
      projects: request(5, "newest"),
      bids: request(5, "newest"),
      milestones: request(1000, "oldest"),
      timeline: request(10, "happened"),
    });
    for (const command of LIST_COMMANDS) expect(sent(command), `${command}: read with the page`).toEqual([]);
    for (const perRecord of ["list_milestones", "list_bids", "list_jobs", "get_project", "get_job"]) expect(sent(perRecord), perRecord).toEqual([]);
  });

  it("reaches every contact with Show more, each time going on from the first new one", async () => {
    const root = await open();
    const section = find(root, "section[aria-labelledby='contacts-title']");
    const more = () => [...section.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent?.trim() === "Show more contacts");
    for (let shown = 5, rounds = 0; more(); rounds++) {
      expect(rounds, "Show more ends").toBeLessThan(10);
      more()!.focus();
      await click(more()!);
      const items = section.querySelectorAll("ul[aria-label='Contacts'] > li");
      expect(items.length).toBeGreaterThan(shown);
      expect(document.activeElement, "the focus is on the first new contact").toBe(items[shown]!.querySelector("button"));
      shown = items.length;
    }
    expect(texts(section, "ul[aria-label='Contacts'] > li button.strong")).toEqual(contacts.map((c) => c.name));
    expect(sent("list_contacts").every(([, args]) => (args as { page: PageRequest }).page.limit <= 1000)).toBe(true);
  });

  it("reaches every project and bid with Show more, and draws the milestones of the projects it shows without asking again", async () => {
    const root = await open();
    const pressUntilGone = async (label: string) => {
      for (let rounds = 0; ; rounds++) {
        const button = [...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent?.trim() === label);
        if (!button) return;
        expect(rounds, `${label} ends`).toBeLessThan(10);
        await click(button);
      }
    };
    await pressUntilGone("Show more projects");
    expect(texts(root, "ul[aria-label='Projects'] > li button.strong")).toEqual(projects.map((p) => p.name));
    expect(root.querySelectorAll("ul[aria-label^='Milestones of ']").length).toBe(30);
    expect(texts(root, "ul[aria-label='Milestones of Project 30'] strong")).toEqual(["Payment of Project 30"]);
    expect(sent("list_milestones_of_client_projects").length, "grouped again, not read again").toBe(0);

    await pressUntilGone("Show more bids");
    expect(texts(root, "ul[aria-label='Bids'] > li button")).toEqual(bids.map((b) => b.job_title));

    // The timeline goes on from the page's first ten in the core's order (by
    // when each happened), not sorted again in the window: the notes' times
    // here are out of order, and a page read later never moves above the first.
    await pressUntilGone("Show older");
    const shown = [...root.querySelectorAll("ol[aria-label='Timeline, newest first'] > li .body")].map((b) => b.firstChild?.textContent);
    expect(shown).toEqual(notes.map((n) => n.body));
    const asked = sent("list_activities").map(([, args]) => (args as { page: PageRequest }).page.sort);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((sort) => sort === "happened")).toBe(true);
    expect(root.querySelector("[role='alert']")).toBeNull();
  });

  it("says clearly when more bids cannot be read, keeping the first five", async () => {
    const root = await open();
    failing("list_bids_on_client_jobs", { code: "database_busy", message: "The database is busy", transient: true });
    await click([...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent?.trim() === "Show more bids")!);
    const section = find(root, "section[aria-labelledby='client-bids-title']");
    expect(texts(section, "[role='alert']")).toEqual(["Could not load (database_busy): The database is busy"]);
    expect(rows(root, "Bids")).toBe(5);
  });

  it("shows the rest of a project's milestones with its own Show more, from what was read", async () => {
    const root = await open();
    const more = find<HTMLButtonElement>(root, "button[aria-label='Show more milestones of Project 01']");
    await click(more);
    const items = root.querySelectorAll("ul[aria-label='Milestones of Project 01'] > li");
    expect(texts(root, "ul[aria-label='Milestones of Project 01'] strong")).toEqual(milestones.slice(0, 12).map((m) => m.title));
    expect(document.activeElement, "the focus is on the first new milestone").toBe(items[10]!.querySelector("button"));
    expect(root.querySelector("button[aria-label='Show more milestones of Project 01']")).toBeNull();
    expect(sent("list_milestones_of_client_projects").length).toBe(0);
    // Its moves are there as on the first rows.
    expect(root.querySelector("button[aria-label='Fund Step 12']")).not.toBeNull();
  });

  it("keeps what is shown when a change reads a section again", async () => {
    const root = await open();
    await click([...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent?.trim() === "Show more contacts")!);
    expect(rows(root, "Contacts")).toBe(10);
    const third = contacts[2]!;
    await click(find(root, "button[aria-label='Delete contact Contact 03']"));
    expect(invoke).toHaveBeenCalledWith("delete_record", { kind: "contact", id: third.id });
    expect(rows(root, "Contacts"), "still as many as were shown").toBe(10);
    expect(texts(root, "ul[aria-label='Contacts'] > li button.strong")).not.toContain("Contact 03");
    expect((sent("list_contacts").at(-1)![1] as { page: PageRequest }).page.after, "read again from the start").toBeUndefined();
  });
});
