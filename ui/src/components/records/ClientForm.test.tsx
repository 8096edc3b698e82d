import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Client } from "../../bindings/Client";
import { find, mount, settle, typeInto } from "../../testing/dom";
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

beforeEach(() => {
  invoke.mockReset();
});

async function submit(form: HTMLElement) {
  find<HTMLFormElement>(form, "form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}

describe("the client form", () => {
  it("shows the core's refusal beside the field it names, and keeps what was typed", async () => {
    invoke.mockRejectedValue({ code: "validation", field: "email", message: "'nope' is not an e-mail address", transient: false });
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
    const root = await mount(<ClientForm onSaved={() => {}} onCancel={() => {}} />);
    await submit(root);
    expect(find(root, "#field-client-new-name-error").textContent).toBe("A client needs a name.");
    expect(invoke).not.toHaveBeenCalled();
  });

  it("sends only what changed when editing, and clears an emptied field", async () => {
    invoke.mockImplementation(async (_command: string, args: { patch: object }) => ({ ...acme, ...args.patch }));
    const saved = vi.fn();
    const root = await mount(<ClientForm client={acme} onSaved={saved} onCancel={() => {}} />);
    await typeInto(find(root, "#field-client-edit-email"), "");
    await typeInto(find(root, "#field-client-edit-tags"), "retainer, design");
    await submit(root);
    expect(invoke).toHaveBeenCalledWith("update_client", { id: acme.id, patch: { email: null, tags: ["retainer", "design"] } });
    expect(saved).toHaveBeenCalledTimes(1);
  });
});
