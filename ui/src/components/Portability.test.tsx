import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import { act } from "preact/test-utils";
import type { ImportOptions } from "../bindings/ImportOptions";
import type { ImportSummary } from "../bindings/ImportSummary";
import type { RecordCounts } from "../bindings/RecordCounts";
import { find, mount, settle } from "../testing/dom";
import { ImportPanel } from "./Portability";

const none: RecordCounts = {
  clients: 0,
  contacts: 0,
  projects: 0,
  jobs: 0,
  bids: 0,
  milestones: 0,
  activities: 0,
  tasks: 0,
  tags: 0,
  tag_links: 0,
  custom_fields: 0,
  custom_values: 0,
  exchange_rates: 0,
  consents: 0,
  audit_entries: 0,
};

/** What the core answers for an Outlook file with two columns no field takes. */
function summary(options: ImportOptions, unmapped: string[]): ImportSummary {
  const keep = options.unmapped === "keep";
  const fields = unmapped.includes("Job Title")
    ? [
        { column: "Job Title", field: "Job Title", field_type: "text" as const, existing: false, values: 2 },
        { column: "Shoe size", field: "Shoe size", field_type: "number" as const, existing: true, values: 1 },
      ]
    : [];
  return {
    kind: "clients",
    dry_run: options.dry_run,
    counts: { ...none, clients: 2, custom_fields: keep ? 1 : 0, custom_values: keep ? 3 : 0 },
    mapping: { mapped: [{ column: "First Name", field: "first_name" }], unmapped },
    unmapped: options.unmapped,
    unmapped_fields: fields,
    search_index_pending: false,
  };
}

/** The core: one chosen file; `import_file` answers with `unmapped` as the file's unknown columns. */
function core(unmapped: string[]) {
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
    if (command === "choose_import_file") return { handle: "file-1", name: "outlook.csv" };
    if (command === "import_file") return summary(args.options as ImportOptions, unmapped);
    throw new Error(`unexpected command ${command}`);
  });
}

/** The options of each `import_file` call, in order. */
function importCalls(): ImportOptions[] {
  return invoke.mock.calls.filter(([command]) => command === "import_file").map(([, args]) => args.options);
}

function button(root: HTMLElement, text: string): HTMLButtonElement {
  const found = [...root.querySelectorAll("button")].find((b) => b.textContent?.trim() === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

async function click(element: HTMLElement) {
  await act(() => element.click());
  await settle();
}

async function checked(root: HTMLElement) {
  await click(button(root, "Import a file…"));
  await click(button(root, "Check the file"));
}

beforeEach(() => {
  invoke.mockReset();
});

describe("the import panel", () => {
  it("offers to keep unknown columns as custom fields, sends the choice and says what was kept", async () => {
    core(["Job Title", "Shoe size"]);
    const imported = vi.fn();
    const root = await mount(<ImportPanel onImported={imported} />);
    await checked(root);
    expect(importCalls()).toEqual([{ mapping: [], dry_run: true, unmapped: "ignore" }]);
    const choice = find(root, "[data-testid=import-unmapped]");
    expect(choice.textContent).toContain("Columns Bidwell does not know");
    const radios = [...choice.querySelectorAll<HTMLInputElement>("input[type=radio]")];
    expect(radios.map((r) => r.checked)).toEqual([true, false]);
    const planned = [...choice.querySelectorAll("li")].map((li) => li.textContent);
    expect(planned).toEqual([
      '"Job Title" → Job Title (new text field, 2 values)',
      '"Shoe size" → Shoe size (existing number field, 1 value)',
    ]);

    await click(radios[1] as HTMLInputElement);
    await click(button(root, "Import"));
    expect(importCalls()[1]).toEqual({ mapping: [], dry_run: false, unmapped: "keep" });
    expect(imported).toHaveBeenCalledTimes(1);
    expect(find(root, "[data-testid=import-done]").textContent).toBe(
      'Imported 2 clients. Kept as custom fields: "Job Title" → Job Title (new), "Shoe size" → Shoe size.',
    );
  });

  it("shows no choice when every column has a field, and imports ignoring none", async () => {
    core([]);
    const root = await mount(<ImportPanel onImported={() => {}} />);
    await checked(root);
    expect(root.querySelector("[data-testid=import-unmapped]")).toBeNull();
    await click(button(root, "Import"));
    expect(importCalls()[1]).toEqual({ mapping: [], dry_run: false, unmapped: "ignore" });
    expect(find(root, "[data-testid=import-done]").textContent).toBe("Imported 2 clients.");
  });

  it("says the records are saved when only their indexing for search failed", async () => {
    core([]);
    const root = await mount(<ImportPanel onImported={() => {}} />);
    await checked(root);
    invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => {
      if (command !== "import_file") throw new Error(`unexpected command ${command}`);
      return { ...summary(args.options as ImportOptions, []), search_index_pending: true };
    });
    await click(button(root, "Import"));
    expect(find(root, "[data-testid=import-done]").textContent).toBe(
      "Imported 2 clients. They are saved, but indexing them for search did not finish: the next search will try again.",
    );
    expect(root.querySelector("[role=alert]")).toBeNull();
  });

  it("leaves the choice in view with the problem when the kept values are refused", async () => {
    core(["Job Title", "Shoe size"]);
    const root = await mount(<ImportPanel onImported={() => {}} />);
    await checked(root);
    const keep = root.querySelectorAll<HTMLInputElement>("[data-testid=import-unmapped] input[type=radio]")[1];
    await click(keep as HTMLInputElement);
    invoke.mockImplementation(async () => {
      throw {
        code: "import_invalid",
        message: "'huge' is not a number",
        transient: false,
        location: { file: "outlook.csv", line: 3, field: "Shoe size" },
      };
    });
    await click(button(root, "Import"));
    expect(importCalls()[1]).toEqual({ mapping: [], dry_run: false, unmapped: "keep" });
    expect(find(root, "[data-testid=import-problem]").textContent).toContain(
      'Nothing was imported. outlook.csv, line 3, field "Shoe size"',
    );
    const radios = [...root.querySelectorAll<HTMLInputElement>("[data-testid=import-unmapped] input[type=radio]")];
    expect(radios.map((r) => r.checked)).toEqual([false, true]);
  });
});
