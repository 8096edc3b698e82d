import { describe, expect, it, vi } from "vitest";
import { dateTimeText, dayText, monthText } from "./dates";

describe("dates as the locale writes them", () => {
  it("read as toLocaleString with the same options did, formatter kept or not", () => {
    for (const iso of ["2026-12-05T14:30:00Z", "2027-01-31T23:59:00Z"]) {
      const expected = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      expect(dateTimeText(iso)).toBe(expected);
      expect(dateTimeText(new Date(iso))).toBe(expected);
    }
    expect(monthText("2026-12")).toBe(
      new Date(Date.UTC(2026, 11, 15)).toLocaleDateString(undefined, { month: "short", year: "2-digit", timeZone: "UTC" }),
    );
    expect(dayText("2026-12-01")).toBe(
      new Date(Date.UTC(2026, 11, 1)).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }),
    );
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
      expect(built).toHaveBeenCalledTimes(3);
      dates.monthText("2026-12");
      dates.dayText("2026-12-01");
      dates.dateTimeText("2026-12-05T14:30:00Z");
      expect(built).toHaveBeenCalledTimes(3);
    } finally {
      built.mockRestore();
      vi.useRealTimers();
    }
  });
});
