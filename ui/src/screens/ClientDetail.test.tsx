import { beforeEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => undefined }));

import type { Client } from "../bindings/Client";
import type { Milestone } from "../bindings/Milestone";
import type { Project } from "../bindings/Project";
import { route } from "../state";
import { find, mount, settle } from "../testing/dom";
import { ClientDetail } from "./ClientDetail";

const meta = { created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", deleted_at: null, source: null, external_id: null };

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

function project(n: number, name: string): Project {
  return {
    ...meta,
    id: `0190a5f0-0000-7000-8000-0000000000p${n}`,
    client_id: client.id,
    name,
    status: "active",
    rate_type: "fixed",
    budget_minor: null,
    currency: "EUR",
    start_date: null,
    due_date: null,
    description: "",
    tags: [],
  };
}
const brand = project(1, "Brand refresh");
const shop = project(2, "Shop rebuild");

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

let milestones: Milestone[] = [];
const page = <T,>(items: T[]) => ({ items, next: null });

/** The core behind the client's page; milestones move as set_milestone_status says. */
function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "get_client":
      return client;
    case "list_projects":
      return page([brand, shop]);
    case "list_milestones": {
      const projectId = (args["filter"] as { project_id?: string }).project_id;
      return page(milestones.filter((m) => m.project_id === projectId));
    }
    case "set_milestone_status": {
      const m = milestones.find((x) => x.id === args["id"])!;
      m.status = args["status"] as Milestone["status"];
      return m;
    }
    case "custom_fields":
    case "consents":
      return [];
    default:
      return command.startsWith("list_") ? page([]) : null;
  }
}

beforeEach(() => {
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args ?? {}));
  milestones = [milestone(1, brand, "Design", "pending"), milestone(2, brand, "Build", "funded"), milestone(3, shop, "Launch", "pending")];
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

  it("lists each project's milestones under the project's name, loading each project's once", async () => {
    const root = await open();
    expect(texts(root, "ul[aria-label='Milestones of Brand refresh'] strong")).toEqual(["Design", "Build"]);
    expect(texts(root, "ul[aria-label='Milestones of Shop rebuild'] strong")).toEqual(["Launch"]);
    const loads = invoke.mock.calls.filter(([command]) => command === "list_milestones").map(([, args]) => args.filter.project_id);
    expect(loads.sort()).toEqual([brand.id, shop.id].sort());

    // The project's name opens its page.
    const heading = [...root.querySelectorAll<HTMLButtonElement>(".milestones-of h3 button")].find((b) => b.textContent === "Shop rebuild")!;
    await click(heading);
    expect(route.value).toEqual({ screen: "record", kind: "project", id: shop.id });
  });

  it("offers the escrow moves the core allows, and a move shows at once", async () => {
    const root = await open();
    expect(root.querySelector("button[aria-label='Fund Design']")).not.toBeNull();
    for (const move of ["Release", "Refund", "Dispute"]) expect(root.querySelector(`button[aria-label='${move} Build']`), move).not.toBeNull();
    expect(root.querySelector("button[aria-label='Fund Build']")).toBeNull();

    await click(find(root, "button[aria-label='Fund Design']"));
    expect(invoke).toHaveBeenCalledWith("set_milestone_status", { id: milestones[0]!.id, status: "funded" });
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
