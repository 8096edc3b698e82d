import { describe, expect, it } from "vitest";
import { currencyExponent, formatMinor, parseMinor, toMinor } from "./money";

describe("amounts follow the core's currency exponents", () => {
  it("knows currencies without and with three decimals from the generated table", () => {
    expect([currencyExponent("JPY"), currencyExponent("kwd"), currencyExponent("USD"), currencyExponent("EUR")]).toEqual([0, 3, 2, 2]);
  });

  it("parses as many decimals as the currency has, and no more", () => {
    expect(parseMinor("1,250.5", "USD")).toEqual({ ok: true, minor: 125050 });
    expect(parseMinor("1250", "JPY")).toEqual({ ok: true, minor: 1250 });
    expect(parseMinor("12.5", "JPY").ok).toBe(false);
    expect(parseMinor("1.234", "KWD")).toEqual({ ok: true, minor: 1234 });
    expect(parseMinor("1.2345", "KWD").ok).toBe(false);
  });

  it("formats back to what was typed", () => {
    expect(formatMinor(125050, "USD")).toBe("1,250.50");
    expect(formatMinor(1250, "JPY")).toBe("1,250");
    expect(formatMinor(1234, "KWD")).toBe("1.234");
    expect(formatMinor(-5, "USD")).toBe("-0.05");
  });

  it("refuses what is not a positive amount, saying why", () => {
    expect(toMinor("0", "USD")).toHaveProperty("error");
    expect(toMinor("abc", "USD")).toHaveProperty("error");
    expect(toMinor("10", "USD")).toEqual({ minor: 1000 });
  });
});
