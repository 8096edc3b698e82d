import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { CustomField } from "../bindings/CustomField";
import { chooseIn, find, mount, settle, typeInto } from "../testing/dom";
import { CustomFields } from "./CustomFields";

const tier: CustomField = {
  id: "f1",
  entity_kind: "client",
  name: "Tier",
  field_type: "choice",
  choices: ["Gold", "Silver"],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function click(root: HTMLElement, text: string) {
  const button = [...root.querySelectorAll("button")].find((b) => b.textContent?.trim() === text);
  if (!button) throw new Error(`no button ${text}`);
  button.click();
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Settings → Custom fields", () => {
  it("defines a choice field with its choices", async () => {
    const defined: CustomField[] = [];
    invoke.mockImplementation(async (command: string, args: { new: CustomField }) => {
      if (command === "custom_fields") return [...defined];
      if (command === "define_custom_field") {
        defined.push({ ...tier, ...args.new });
        return defined[0];
      }
    });
    const root = await mount(<CustomFields />);
    await settle();
    expect(find(root, '[data-testid="no-custom-fields"]').textContent).toContain("clients");
    await typeInto(find(root, "#field-custom-field-name"), "Tier");
    await chooseIn(find(root, "#field-custom-field-type"), "choice");
    await typeInto(find(root, "#field-custom-field-choices"), "Gold, Silver, gold");
    find<HTMLFormElement>(root, 'form[aria-label="Add a custom field"]').dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    await settle();
    expect(invoke).toHaveBeenCalledWith("define_custom_field", {
      new: { entity_kind: "client", name: "Tier", field_type: "choice", choices: ["Gold", "Silver", "gold"] },
    });
    expect(find(root, "table").textContent).toContain("Tier");
  });

  it("says how many records lose their value before deleting, and keeps the field on Keep it", async () => {
    invoke.mockImplementation(async (command: string) => (command === "custom_fields" ? [tier] : command === "custom_field_usage" ? 3 : 3));
    const root = await mount(<CustomFields />);
    await settle();
    click(root, "Delete");
    await settle();
    expect(find(root, '[role="alert"]').textContent).toContain("3 records will lose their value");
    click(root, "Keep it");
    await settle();
    expect(invoke.mock.calls.some(([command]) => command === "delete_custom_field")).toBe(false);
    click(root, "Delete");
    await settle();
    click(root, "Delete the field");
    await settle();
    expect(invoke).toHaveBeenCalledWith("delete_custom_field", { id: "f1" });
  });
});
