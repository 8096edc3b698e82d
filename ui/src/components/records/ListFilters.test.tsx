import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { CustomField } from "../../bindings/CustomField";
import { render } from "preact";
import { act } from "preact/test-utils";
import { forgetPlaces } from "../../places";
import { chooseIn, find, mount, settle, typeInto } from "../../testing/dom";
import { useListFilters } from "./ListFilters";

const stage: CustomField = {
  id: "0190a5f0-0000-7000-8000-0000000000f2",
  entity_kind: "job",
  name: "Stage",
  field_type: "choice",
  choices: ["Lead", "Won"],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

/** A list's toolbar and the filter it makes, as a screen uses them. */
function Harness() {
  const extras = useListFilters("job");
  return (
    <div>
      {extras.controls}
      <output data-testid="filter">{JSON.stringify(extras.filter)}</output>
      <output data-testid="said">{extras.said}</output>
    </div>
  );
}

/** Past the wait after typing (250 ms). */
async function afterTyping() {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await settle();
}

beforeEach(() => {
  invoke.mockReset();
  forgetPlaces();
});

describe("a list's tag and field filters", () => {
  it("make the kind's filter once typing stops, and say it in words", async () => {
    invoke.mockImplementation(async (command: string, args: { kind?: string }) => {
      expect(command).toBe("custom_fields");
      expect(args.kind).toBe("job");
      return [stage];
    });
    const root = await mount(<Harness />);
    await settle();
    await typeInto(find(root, "input[aria-label='Filter by tag']"), " urgent ");
    expect(find(root, "[data-testid=filter]").textContent, "not on every key").toBe("{}");
    await afterTyping();
    expect(JSON.parse(find(root, "[data-testid=filter]").textContent ?? "")).toEqual({ tag: "urgent" });

    const value = find<HTMLInputElement>(root, "input[aria-label='Field value']");
    expect(value.disabled, "no value before a field is chosen").toBe(true);
    await chooseIn(find(root, "select[aria-label='Filter by field']"), "Stage");
    await typeInto(value, "won");
    await afterTyping();
    expect(JSON.parse(find(root, "[data-testid=filter]").textContent ?? "")).toEqual({
      tag: "urgent",
      field: { name: "Stage", value: "won" },
    });
    expect(find(root, "[data-testid=said]").textContent).toBe(" tagged “urgent” whose Stage is “won”");
  });

  it("stay set when the list is opened again, applied at once, until the app locks", async () => {
    invoke.mockResolvedValue([stage]);
    const root = await mount(<Harness />);
    await settle();
    await typeInto(find(root, "input[aria-label='Filter by tag']"), "urgent");
    await chooseIn(find(root, "select[aria-label='Filter by field']"), "Stage");
    await typeInto(find(root, "input[aria-label='Field value']"), "won");
    await afterTyping();
    await act(() => render(null, root));

    const again = await mount(<Harness />);
    expect(find<HTMLInputElement>(again, "input[aria-label='Filter by tag']").value).toBe("urgent");
    expect(JSON.parse(find(again, "[data-testid=filter]").textContent ?? ""), "the first read is filtered").toEqual({
      tag: "urgent",
      field: { name: "Stage", value: "won" },
    });
    await settle();
    expect(find<HTMLSelectElement>(again, "select[aria-label='Filter by field']").value).toBe("Stage");
    await act(() => render(null, again));

    forgetPlaces();
    const locked = await mount(<Harness />);
    expect(find<HTMLInputElement>(locked, "input[aria-label='Filter by tag']").value).toBe("");
    expect(find(locked, "[data-testid=filter]").textContent).toBe("{}");
  });

  it("offers no field filter when the kind has no custom fields", async () => {
    invoke.mockResolvedValue([]);
    const root = await mount(<Harness />);
    await settle();
    expect(root.querySelector("select[aria-label='Filter by field']")).toBeNull();
  });
});
