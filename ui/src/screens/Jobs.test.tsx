import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { render } from "preact";
import { act } from "preact/test-utils";
import type { Job } from "../bindings/Job";
import type { PageRequest } from "../bindings/PageRequest";
import { go, goBack, route } from "../state";
import { job } from "../testing/records";
import { find, mount, settle } from "../testing/dom";
import { Jobs } from "./Jobs";

let jobs: Job[] = [];

function core(command: string, args: Record<string, unknown>): unknown {
  switch (command) {
    case "market_accounts":
    case "custom_fields":
      return [];
    case "list_jobs": {
      const page = args.page as PageRequest;
      const start = page.after ? Number(page.after) : 0;
      const end = start + page.limit;
      return { items: jobs.slice(start, end), next: end < jobs.length ? String(end) : null };
    }
    default:
      throw new Error(`unexpected command ${command}`);
  }
}

const limits = () => invoke.mock.calls.filter(([c]) => c === "list_jobs").map(([, args]) => (args as { page: PageRequest }).page.limit);

async function click(root: HTMLElement, selector: string): Promise<void> {
  const button = find(root, selector);
  await act(async () => button.click());
  await settle();
}

beforeEach(() => {
  jobs = Array.from({ length: 120 }, (_, i) => job(i + 100, `Job ${i + 1}`));
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => core(command, args));
});

describe("back on the jobs from a job's page", () => {
  it("reads as many jobs as were shown, in one call, opens the job again and focuses its Open page", async () => {
    const root = await mount(<Jobs />);
    await settle();
    await click(root, "button.load-more");
    expect(root.querySelectorAll(".job-list li")).toHaveLength(100);
    await click(root, "li:nth-child(73) button.job-open");
    await click(root, "button[aria-label='Open the page of Job 73']");
    expect(route.value).toEqual({ screen: "record", kind: "job", id: jobs[72]!.id });
    await act(() => render(null, root));
    goBack({ screen: "jobs" });

    invoke.mockClear();
    const again = await mount(<Jobs />);
    await settle();
    expect(limits()).toEqual([100]);
    expect(again.querySelectorAll(".job-list li")).toHaveLength(100);
    expect(find(again, "#job-detail").getAttribute("aria-label")).toBe("Job: Job 73");
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Open the page of Job 73");
  });

  it("opens no job when none was open as the list was left", async () => {
    const root = await mount(<Jobs />);
    await settle();
    await click(root, "li:nth-child(3) button.job-open");
    await click(root, "button[aria-label='Close the job']");
    go({ screen: "record", kind: "job", id: jobs[2]!.id });
    await act(() => render(null, root));
    goBack({ screen: "jobs" });
    invoke.mockClear();
    const again = await mount(<Jobs />);
    await settle();
    expect(limits()).toEqual([50]);
    expect(again.querySelector("#job-detail")).toBeNull();
  });
});
