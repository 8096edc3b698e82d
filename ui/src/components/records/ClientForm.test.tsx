import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Client } from "../../bindings/Client";
import type { CustomField } from "../../bindings/CustomField";
import { chooseIn, find, mount, settle, typeInto } from "../../testing/dom";
import { ClientForm } from "./ClientForm";

const acme: Client = {
  id: "0190a5f0-0000-7000-8000-000000000001",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  deleted_at: null,
  kind: "company",
  name: "Acme",
  email: "hello@acme.test",
  phone: null,
  company: null,
  website: null,
  country: null,
  notes: "",
  tags: ["retainer"],
  restricted: false,
  archived_at: null,
  source: null,
  external_id: null,
};

const tier: CustomField = {
  id: "0190a5f0-0000-7000-8000-0000000000f1",
  entity_kind: "client",
  name: "Tier",
  field_type: "choice",
  choices: ["Gold", "Silver"],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

/** The core as these tests need it: the client fields are [Tier]; `save` answers saves. */
function core(save: (command: string, args: Record<string, unknown>) => unknown) {
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) =>
    command === "custom_fields" ? [tier] : save(command, args),
  );
}

beforeEach(() => {
  invoke.mockReset();
});

async function submit(form: HTMLElement) {
  find<HTMLFormElement>(form, "form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}

describe("the client form", () => {
  it("shows the core's refusal beside the field it names, and keeps what was typed", async () => {
    core(() => {
      throw { code: "validation", field: "email", message: "'nope' is not an e-mail address", transient: false };
    });
    const saved = vi.fn();
    const root = await mount(<ClientForm onSaved={saved} onCancel={() => {}} />);
    await typeInto(find(root, "#field-client-new-name"), "Zoë Ltd");
    await typeInto(find(root, "#field-client-new-email"), "nope");
    await submit(root);
    expect(find(root, "#field-client-new-email-error").textContent).toBe("'nope' is not an e-mail address");
    expect(find<HTMLInputElement>(root, "#field-client-new-email").getAttribute("aria-invalid")).toBe("true");
    expect(find<HTMLInputElement>(root, "#field-client-new-name").value).toBe("Zoë Ltd");
    expect(saved).not.toHaveBeenCalled();
  });

  it("asks for a name before calling the core", async () => {
    core(() => undefined);
    const root = await mount(<ClientForm onSaved={() => {}} onCancel={() => {}} />);
    await submit(root);
    expect(find(root, "#field-client-new-name-error").textContent).toBe("A client needs a name.");
    expect(invoke.mock.calls.map(([command]) => command)).toEqual(["custom_fields"]);
  });

  it("sends only what changed when editing, and clears an emptied field", async () => {
    core((_command, args) => ({ ...acme, ...(args["patch"] as object) }));
    const saved = vi.fn();
    const root = await mount(<ClientForm client={acme} onSaved={saved} onCancel={() => {}} />);
    await typeInto(find(root, "#field-client-edit-email"), "");
    await typeInto(find(root, "#field-client-edit-tags"), "retainer, design");
    await settle();
    await chooseIn(find(root, `#field-client-edit-custom-${tier.id}`), "Gold");
    await submit(root);
    expect(invoke).toHaveBeenCalledWith("update_client", {
      id: acme.id,
      patch: { email: null, tags: ["retainer", "design"], fields: { Tier: "Gold" } },
    });
    expect(saved).toHaveBeenCalledTimes(1);
  });
});

describe("custom fields in the client form", () => {
  it("offers a choice field's choices and shows the core's refusal beside it", async () => {
    core(() => {
      throw { code: "validation", field: "tier", message: "'Bronze' is not one of: Gold, Silver", transient: false };
    });
    const root = await mount(<ClientForm onSaved={() => {}} onCancel={() => {}} />);
    await settle();
    const select = find<HTMLSelectElement>(root, `#field-client-new-custom-${tier.id}`);
    expect([...select.options].map((o) => o.value)).toEqual(["", "Gold", "Silver"]);
    await typeInto(find(root, "#field-client-new-name"), "Acme");
    await chooseIn(select, "Silver");
    await submit(root);
    expect(invoke).toHaveBeenCalledWith("create_client", {
      new: { name: "Acme", kind: "person", notes: "", tags: [], fields: { Tier: "Silver" } },
    });
    expect(find(root, `#field-client-new-custom-${tier.id}-error`).textContent).toBe("'Bronze' is not one of: Gold, Silver");
  });
});
