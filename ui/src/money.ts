// Money in the UI: integer minor units in data, decimal text for people.
// Conversion is done on the digits (never by multiplying floats); the core
// re-validates every amount.

import { CURRENCY_EXPONENTS } from "./bindings/CurrencyExponents";

/** Decimal places of a currency, as the core counts them (0 for JPY, 3 for KWD, else 2). */
export function currencyExponent(code: string): number {
  return CURRENCY_EXPONENTS[code.trim().toUpperCase()] ?? 2;
}

export type Parsed = { ok: true; minor: number } | { ok: false; error: string };

/** "1,250.5" in USD → 125050. Accepts digits, one point and thousands commas. */
export function parseMinor(text: string, code: string): Parsed {
  const places = currencyExponent(code);
  const cleaned = text.trim().replace(/[,_\s]/g, "");
  const bad: Parsed = {
    ok: false,
    error: places === 0 ? "Enter a whole amount, like 1250." : `Enter an amount with at most ${places} decimals, like 1250.${"0".repeat(places)}.`,
  };
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return bad;
  const whole = match[1] ?? "";
  const frac = match[2] ?? "";
  if (frac.length > places) return bad;
  const digits = (whole + frac.padEnd(places, "0")).replace(/^0+(?=\d)/, "");
  const value = BigInt(digits);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, error: "That amount is too large." };
  return { ok: true, minor: Number(value) };
}

/** 125050, "USD" → "1,250.50". */
export function formatMinor(minor: number, code: string): string {
  const places = currencyExponent(code);
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${grouped}${places > 0 ? `.${frac}` : ""}`;
}

/** 125050, "USD" → "1,250.50 USD"; null when there is no amount. */
export function formatMoney(minor: number | null, code: string | null): string {
  if (minor === null || code === null) return "—";
  return `${formatMinor(minor, code)} ${code}`;
}

/** Minor units back to editable text without grouping: 125050 → "1250.50". */
export function minorToInput(minor: number, code: string): string {
  return formatMinor(minor, code).replace(/,/g, "");
}

/** A positive amount, for bids and budgets that must be more than zero. */
export function toMinor(text: string, code: string): { minor: number } | { error: string } {
  if (!text.trim()) return { error: "Enter an amount." };
  const parsed = parseMinor(text, code);
  if (!parsed.ok) return { error: parsed.error };
  if (parsed.minor <= 0) return { error: "The amount must be more than zero." };
  return { minor: parsed.minor };
}
