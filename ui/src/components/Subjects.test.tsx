import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Subject } from "../bindings/Subject";
import type { SubjectName } from "../bindings/SubjectName";
import { mount, settle } from "../testing/dom";
import { SubjectLink } from "./Subjects";

/** Ids of this file's records: the window keeps every name it read, so each test asks for new ones. */
let made = 0;
function id(): string {
  made += 1;
  return `0190a5f0-0000-7000-8000-${String(made).padStart(12, "0")}`;
}

/** The core's answer: every record it is asked for exists except `missing`; `jobless` bids' jobs are deleted. */
let missing = new Set<string>();
let jobless = new Set<string>();
let fail = false;

beforeEach(() => {
  missing = new Set();
  jobless = new Set();
  fail = false;
  invoke.mockReset();
  invoke.mockImplementation(async (command: string, args: { subjects: Subject[] }) => {
    if (command !== "subject_names") throw new Error(`unexpected command ${command}`);
    if (fail) throw { code: "locked", message: "The workspace is locked.", transient: true };
    return args.subjects
      .filter((s) => !missing.has(s.id))
      .map((s): SubjectName => ({ ...s, name: jobless.has(s.id) ? null : `${s.kind} ${s.id.slice(-4)}` }));
  });
});

function names(): Subject[][] {
  return invoke.mock.calls.map(([, args]) => (args as { subjects: Subject[] }).subjects);
}

function links(root: HTMLElement): string[] {
  return [...root.querySelectorAll("[data-testid=task-about]")].map((l) => l.textContent ?? "");
}

describe("what a task is about", () => {
  it("names the links drawn together in one call, once per record", async () => {
    const [client, job, bid] = [id(), id(), id()];
    const subjects: Subject[] = [
      { kind: "client", id: client },
      { kind: "job", id: job },
      { kind: "client", id: client },
      { kind: "bid", id: bid },
      { kind: "activity", id: id() },
    ];
    const root = await mount(
      <div>
        {subjects.map((s, i) => (
          <SubjectLink key={i} subject={s} />
        ))}
      </div>,
    );
    await settle();
    // Notes are named by their kind, without a call; the rest in one call, each record once.
    expect(names()).toEqual([[subjects[0], subjects[1], subjects[3]]]);
    expect(links(root)).toEqual([
      `Client: client ${client.slice(-4)}`,
      `Job: job ${job.slice(-4)}`,
      `Client: client ${client.slice(-4)}`,
      `Bid: Bid on bid ${bid.slice(-4)}`,
      "Note: Note",
    ]);

    // Drawn again: no call.
    invoke.mockClear();
    await mount(<SubjectLink subject={subjects[1]!} />);
    await settle();
    expect(invoke).not.toHaveBeenCalled();
  });

  it("says what is gone, and asks again after a failed call", async () => {
    const [gone, bidOfGoneJob, later] = [id(), id(), id()];
    missing.add(gone);
    jobless.add(bidOfGoneJob);
    fail = true;
    let root = await mount(<SubjectLink subject={{ kind: "project", id: later }} />);
    await settle();
    expect(links(root)).toEqual(["Project: (name not read)"]);

    fail = false;
    invoke.mockClear();
    root = await mount(
      <div>
        <SubjectLink subject={{ kind: "project", id: later }} />
        <SubjectLink subject={{ kind: "client", id: gone }} />
        <SubjectLink subject={{ kind: "bid", id: bidOfGoneJob }} />
      </div>,
    );
    await settle();
    expect(names()).toHaveLength(1);
    expect(links(root)).toEqual([
      `Project: project ${later.slice(-4)}`,
      "Client: Client (removed)",
      "Bid: Bid on a removed job",
    ]);
  });

  it("asks for at most a thousand names a call", async () => {
    const many: Subject[] = Array.from({ length: 1500 }, () => ({ kind: "contact", id: id() }));
    await mount(
      <div>
        {many.map((s) => (
          <SubjectLink key={s.id} subject={s} />
        ))}
      </div>,
    );
    await settle();
    expect(names().map((asked) => asked.length)).toEqual([1000, 500]);
  });
});
