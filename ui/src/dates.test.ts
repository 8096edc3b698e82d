/// <reference types="vite/client" />
import { describe, expect, it, vi } from "vitest";
import { dateText, dateTimeText, dayText, monthText } from "./dates";

describe("dates as the locale writes them", () => {
  it("read as toLocaleString with the same options did, formatter kept or not", () => {
    for (const iso of ["2026-12-05T14:30:00Z", "2027-01-31T23:59:00Z"]) {
      const expected = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      expect(dateTimeText(iso)).toBe(expected);
      expect(dateTimeText(new Date(iso))).toBe(expected);
    }
    expect(dateText("2026-12-05T14:30:00Z")).toBe(new Date("2026-12-05T14:30:00Z").toLocaleDateString(undefined, { dateStyle: "medium" }));
    expect(monthText("2026-12")).toBe(
      new Date(Date.UTC(2026, 11, 15)).toLocaleDateString(undefined, { month: "short", year: "2-digit", timeZone: "UTC" }),
    );
    expect(dayText("2026-12-01")).toBe(
      new Date(Date.UTC(2026, 11, 1)).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }),
    );
  });

  it("are written here alone: no other module formats a date itself, each call building a formatter", () => {
    const sources = import.meta.glob(["./**/*.{ts,tsx}", "!./**/*.test.{ts,tsx}", "!./dates.ts", "!./bindings/**"], {
      query: "?raw",
      import: "default",
      eager: true,
    }) as Record<string, string>;
    expect(Object.keys(sources)).toContain("./screens/ClientDetail.tsx");
    const formatsItself = /toLocale(Date|Time)String\(|Date\([^)]*\)\.toLocaleString\(/;
    const found = Object.entries(sources).flatMap(([path, text]) =>
      text.split("\n").flatMap((line, i) => (formatsItself.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it("return what is not a month or a day as it is", () => {
    expect(monthText("soon")).toBe("soon");
    expect(dayText("2026-12")).toBe("2026-12");
  });
});

describe("prepareDateFormats", () => {
  it("builds each style's formatter once, at a quiet moment, and formatting then builds none", async () => {
    vi.resetModules();
    vi.useFakeTimers();
    const built = vi.spyOn(Intl, "DateTimeFormat");
    try {
      const dates = await import("./dates");
      dates.prepareDateFormats();
      expect(built).not.toHaveBeenCalled();
      vi.runAllTimers();
      expect(built).toHaveBeenCalledTimes(4);
      dates.monthText("2026-12");
      dates.dateText("2026-12-05T14:30:00Z");
      dates.dayText("2026-12-01");
      dates.dateTimeText("2026-12-05T14:30:00Z");
      expect(built).toHaveBeenCalledTimes(4);
    } finally {
      built.mockRestore();
      vi.useRealTimers();
    }
  });
});
