import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";

import { find, mount } from "../../testing/dom";
import { BarChart, RateChart } from "./charts";

const data = [
  { label: "Draft", value: 150_000, text: "1,500.00 EUR (2 bids)", short: "1.5k" },
  { label: "Submitted", value: 0, text: "none" },
];

async function click(button: HTMLElement): Promise<void> {
  await act(() => button.click());
}

describe("a chart's figures", () => {
  it("are all in the image's name, and in a table only once asked for", async () => {
    const root = await mount(<BarChart title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />);
    const name = find(root, "svg[role=img]").getAttribute("aria-label");
    expect(name).toBe("Bid value by status, EUR. Draft: 1,500.00 EUR (2 bids); Submitted: none");
    expect(root.querySelector("table")).toBeNull();

    const button = find(root, ".chart-figures button");
    expect(button.textContent).toBe("Show the figures");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    await click(button);
    const table = find(root, "table");
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(button.getAttribute("aria-controls")).toBe(table.id);
    expect(find(table, "caption").textContent).toBe("Bid value by status, EUR");
    const rows = [...table.querySelectorAll("tbody tr")].map((tr) =>
      [...tr.querySelectorAll("th, td")].map((cell) => cell.textContent),
    );
    expect(rows).toEqual([
      ["Draft", "1,500.00 EUR (2 bids)"],
      ["Submitted", "none"],
    ]);

    expect(button.textContent).toBe("Hide the figures");
    await click(button);
    expect(root.querySelector("table")).toBeNull();
    expect(button.getAttribute("aria-expanded")).toBe("false");
  });

  it("of a rate chart read by month, each chart's table its own", async () => {
    const points = [
      { label: "Nov 26", rate: 0.5, text: "50 % (1 of 2)" },
      { label: "Dec 26", rate: null, text: "no decisions" },
    ];
    const root = await mount(
      <div>
        <RateChart title="Share of decided bids won" points={points} />
        <BarChart title="Bid value by status, EUR" head={["Status", "Value (EUR)"]} data={data} />
      </div>,
    );
    const [rate, bars] = [...root.querySelectorAll<HTMLElement>(".chart-figures button")];
    await click(rate as HTMLElement);
    expect(root.querySelectorAll("table")).toHaveLength(1);
    const table = find(root, "table");
    expect(rate?.getAttribute("aria-controls")).toBe(table.id);
    expect(bars?.getAttribute("aria-expanded")).toBe("false");
    expect([...table.querySelectorAll("thead th")].map((th) => th.textContent)).toEqual(["Month", "Win rate"]);
    expect([...table.querySelectorAll("tbody td")].map((td) => td.textContent)).toEqual(["50 % (1 of 2)", "no decisions"]);
  });
});
