import { describe, expect, it } from "vitest";
import { begin, track } from "./perf";

const measures = (name: string) => performance.getEntriesByName(name, "measure") as PerformanceMeasure[];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("perf marks", () => {
  it("pass commands through untouched while nothing is timed", async () => {
    performance.clearMeasures();
    await expect(track("search", Promise.resolve(7))).resolves.toBe(7);
    await expect(track("search", Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(performance.getEntriesByType("measure")).toHaveLength(0);
  });

  it("time an action until the paint after its last answer, naming each command", async () => {
    begin("screen:test");
    await sleep(20);
    let answer!: (v: number) => void;
    const pending = track("dashboard", new Promise<number>((resolve) => (answer = resolve)));
    await sleep(300);
    expect(measures("bidwell:screen:test")).toHaveLength(0);
    answer(1);
    await pending;
    await sleep(400);
    const [screen] = measures("bidwell:screen:test");
    expect(screen?.duration).toBeGreaterThanOrEqual(300);
    const detail = screen?.detail as { calls: number; firstCall: number; lastAnswer: number; frame: number };
    expect(detail.calls).toBe(1);
    // Sent after the 20 ms sleep, answered after the 300 ms one, drawn after that.
    expect(detail.firstCall).toBeGreaterThanOrEqual(15);
    expect(detail.lastAnswer).toBeGreaterThanOrEqual(detail.firstCall + 290);
    expect(detail.frame).toBeGreaterThanOrEqual(detail.lastAnswer);
    expect(screen!.duration).toBeGreaterThanOrEqual(detail.frame);
    expect(measures("bidwell:call").map((m) => m.detail)).toEqual([{ command: "dashboard" }]);
    // The next action starts afresh: the old one's calls go, its measure stays until it is timed again.
    begin("palette");
    expect(measures("bidwell:call")).toHaveLength(0);
    expect(measures("bidwell:screen:test")).toHaveLength(1);
  });
});
