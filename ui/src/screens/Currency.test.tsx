import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: class {} }));

import type { ExchangeRate } from "../bindings/ExchangeRate";
import { find, mount, settle, typeInto } from "../testing/dom";
import { Currency } from "./Currency";

const usd: ExchangeRate = {
  id: "r1",
  base: "EUR",
  currency: "USD",
  rate: "1.0552",
  rate_date: "2026-12-04",
  source: "eurofxref.csv",
  entered_at: "2026-12-04T16:00:00Z",
};

function submit(root: HTMLElement, label: string) {
  find<HTMLFormElement>(root, `form[aria-label="${label}"]`).dispatchEvent(
    new Event("submit", { bubbles: true, cancelable: true }),
  );
}

beforeEach(() => {
  invoke.mockReset();
});

describe("Settings → Currency", () => {
  it("lists rates with their day and source, and adds one by hand", async () => {
    const kept = [usd];
    invoke.mockImplementation(async (command: string, args: { rate: ExchangeRate }) => {
      if (command === "home_currency") return null;
      if (command === "list_rates") return [...kept];
      if (command === "set_rate") {
        const saved = { ...usd, ...args.rate, id: "r2", source: "hand" };
        kept.push(saved);
        return saved;
      }
    });
    const root = await mount(<Currency />);
    await settle();
    expect(find(root, 'table[aria-label="Exchange rates"]').textContent).toContain("1 EUR = 1.0552 USD");
    expect(find(root, 'table[aria-label="Exchange rates"]').textContent).toContain("eurofxref.csv");
    await typeInto(find(root, "#field-rate-currency"), "jpy");
    await typeInto(find(root, "#field-rate-rate"), "158.76");
    await typeInto(find(root, "#field-rate-date"), "2026-12-03");
    submit(root, "Add a rate");
    await settle();
    expect(invoke).toHaveBeenCalledWith("set_rate", {
      rate: { base: "EUR", currency: "jpy", rate: "158.76", rate_date: "2026-12-03" },
    });
    expect(find(root, 'table[aria-label="Exchange rates"]').textContent).toContain("typed by hand");
  });

  it("puts the core's refusal beside the field it names", async () => {
    invoke.mockImplementation(async (command: string) => {
      if (command === "home_currency") return null;
      if (command === "list_rates") return [];
      if (command === "set_rate") {
        throw { code: "validation", message: "is zero; a rate is more than 0", field: "rate", transient: false, location: null };
      }
      if (command === "set_home_currency") {
        throw { code: "validation", message: "'XXQ' is not an ISO 4217 currency code", field: "home_currency", transient: false, location: null };
      }
    });
    const root = await mount(<Currency />);
    await settle();
    await typeInto(find(root, "#field-rate-currency"), "USD");
    await typeInto(find(root, "#field-rate-rate"), "0");
    submit(root, "Add a rate");
    await settle();
    expect(find(root, "#field-rate-rate-error").textContent).toContain("more than 0");
    await typeInto(find(root, "#field-home-currency"), "XXQ");
    submit(root, "Home currency");
    await settle();
    expect(find(root, "#field-home-currency-error").textContent).toContain("ISO 4217");
  });
});
