import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { Bid } from "../../bindings/Bid";
import type { Job } from "../../bindings/Job";
import type { Milestone } from "../../bindings/Milestone";
import { JOB_FIELD_REASON } from "../../bindings/RecordRules";
import { find, mount, press, settle, typeInto } from "../../testing/dom";
import { BidTermsForm, ContactForm, JobForm, MilestoneForm } from "./forms";

const meta = { created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", deleted_at: null };

const pulledJob: Job = {
  ...meta,
  id: "0190a5f0-0000-7000-8000-00000000000a",
  client_id: null,
  title: "Catalog import",
  description: "From the marketplace",
  url: "https://market.example/jobs/1",
  budget_kind: "fixed",
  budget_min_minor: null,
  budget_max_minor: null,
  currency: "EUR",
  skills: ["csv"],
  employer_name: null,
  posted_at: null,
  saved: false,
  hidden: false,
  my_notes: "",
  market_status: "open",
  tags: [],
  source: "0190a5f0-0000-7000-8000-0000000000aa",
  external_id: "job-1",
};

const bid: Bid = {
  ...meta,
  id: "0190a5f0-0000-7000-8000-00000000000b",
  job_id: pulledJob.id,
  project_id: null,
  status: "submitted",
  amount_minor: 120000,
  currency: "EUR",
  delivery_days: 10,
  milestone_percentage: 0,
  proposal: "I can do it",
  submitted_at: "2026-01-02T00:00:00Z",
  server_version: 1,
  market_account: "0190a5f0-0000-7000-8000-0000000000aa",
  job_title: "Catalog import",
  tags: [],
  source: null,
  external_id: "bid-1",
};

beforeEach(() => {
  invoke.mockReset();
});

/** The core: no custom fields; `save` answers the rest. */
function core(save: (command: string, args: Record<string, unknown>) => unknown) {
  invoke.mockImplementation(async (command: string, args: Record<string, unknown>) => (command === "custom_fields" ? [] : save(command, args)));
}

async function submit(root: HTMLElement) {
  find<HTMLFormElement>(root, "form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}

describe("the job form", () => {
  it("shows a marketplace job's own fields read-only with why, and sends only the user's changes", async () => {
    core((_command, args) => ({ ...pulledJob, ...(args["patch"] as object) }));
    const saved = vi.fn();
    const root = await mount(<JobForm job={pulledJob} onSaved={saved} onCancel={() => {}} />);
    for (const field of ["title", "description", "skills", "url"]) {
      expect(find<HTMLInputElement>(root, `#field-job-edit-${field}`).readOnly, field).toBe(true);
    }
    expect(find(root, "#field-job-edit-title-hint").textContent).toBe(`Read-only: it ${JOB_FIELD_REASON}`);
    expect(document.activeElement?.id, "the first field the user can change has the focus").toBe("field-job-edit-employer_name");
    await typeInto(find(root, "#field-job-edit-tags"), "urgent, retail");
    await typeInto(find(root, "#field-job-edit-my_notes"), "Call first");
    await submit(root);
    expect(invoke).toHaveBeenCalledWith("update_job", { id: pulledJob.id, patch: { my_notes: "Call first", tags: ["urgent", "retail"] } });
    expect(saved).toHaveBeenCalledTimes(1);
  });
});

describe("the bid form", () => {
  it("checks the amount before asking the core, then sends the amount with its currency", async () => {
    core((_command, args) => ({ ...bid, amount_minor: (args["patch"] as { amount: [number, string] }).amount[0] }));
    const root = await mount(<BidTermsForm bid={bid} onSaved={() => {}} onCancel={() => {}} />);
    expect(root.textContent).toContain("Changed terms are sent to the marketplace with the next sync.");
    await typeInto(find(root, "#field-bid-edit-amount"), "12.345");
    await submit(root);
    expect(find(root, "#field-bid-edit-amount-error").textContent).toBe("Enter an amount with at most 2 decimals, like 1250.00.");
    expect(invoke.mock.calls.map(([command]) => command)).toEqual(["custom_fields"]);
    await typeInto(find(root, "#field-bid-edit-amount"), "1350");
    await submit(root);
    expect(invoke).toHaveBeenCalledWith("update_bid", { id: bid.id, patch: { amount: [135000, "EUR"] } });
  });

  it("leaves a decided bid's terms read-only", async () => {
    core(() => undefined);
    const root = await mount(<BidTermsForm bid={{ ...bid, status: "awarded" }} onSaved={() => {}} onCancel={() => {}} />);
    expect(find<HTMLInputElement>(root, "#field-bid-edit-amount").readOnly).toBe(true);
    expect(find(root, "#field-bid-edit-amount-hint").textContent).toBe("Read-only: it is settled: the bid is awarded");
  });
});

describe("the contact form", () => {
  it("puts the core's refusal beside its field; Esc cancels and Ctrl+Enter saves", async () => {
    core(() => {
      throw { code: "validation", field: "email", message: "'x' is not an e-mail address", transient: false };
    });
    const cancel = vi.fn();
    const root = await mount(<ContactForm clientId={pulledJob.id} onSaved={() => {}} onCancel={cancel} />);
    await typeInto(find(root, "#field-contact-new-name"), "Ivo Stern");
    await typeInto(find(root, "#field-contact-new-email"), "x");
    await press("Enter", { ctrlKey: true }, find(root, "#field-contact-new-email"));
    await settle();
    expect(find(root, "#field-contact-new-email-error").textContent).toBe("'x' is not an e-mail address");
    expect(invoke).toHaveBeenCalledWith("create_contact", {
      new: { name: "Ivo Stern", notes: "", tags: [], fields: {}, client_id: pulledJob.id, email: "x" },
    });
    await press("Escape", {}, find(root, "#field-contact-new-name"));
    expect(cancel).toHaveBeenCalledTimes(1);
  });
});

describe("the milestone form", () => {
  it("shows a marketplace milestone read-only", async () => {
    core(() => undefined);
    const pulled: Milestone = {
      ...meta,
      id: "0190a5f0-0000-7000-8000-00000000000c",
      project_id: null,
      bid_id: bid.id,
      title: "Milestone",
      amount_minor: 50000,
      currency: "EUR",
      status: "funded",
      due_date: null,
      kept_reason: null,
      source: bid.market_account ?? null,
      external_id: "m-1",
    };
    const root = await mount(<MilestoneForm milestone={pulled} onSaved={() => {}} onCancel={() => {}} />);
    for (const field of ["title", "amount", "currency", "due_date"]) {
      expect(find<HTMLInputElement>(root, `#field-milestone-edit-${field}`).readOnly, field).toBe(true);
    }
  });
});
