import { describe, expect, it } from "vitest";
import { mount } from "../../testing/dom";
import { Facts } from "./Facts";

/** The list as read: [label, value] per dt/dd pair. */
function pairs(root: HTMLElement): [string, string][] {
  const dl = root.querySelector("dl.facts");
  if (!dl) throw new Error("no dl.facts");
  const terms = [...dl.querySelectorAll("dt")];
  const values = [...dl.querySelectorAll("dd")];
  expect(values.length).toBe(terms.length);
  return terms.map((dt, i) => [dt.textContent ?? "", values[i]!.textContent ?? ""]);
}

describe("a record's facts", () => {
  it("lists each fact with a value, in order, and leaves out the unset and the emptied", async () => {
    const root = await mount(
      <Facts
        facts={[
          ["Company", "Okafor Ltd"],
          ["Email", null],
          ["Phone", ""],
          ["Website", undefined],
          ["Client", <a href="#c">Zoë Okafor</a>],
          ["Budget", "0.00 EUR"],
        ]}
      />,
    );
    expect(pairs(root)).toEqual([
      ["Company", "Okafor Ltd"],
      ["Client", "Zoë Okafor"],
      ["Budget", "0.00 EUR"],
    ]);
    // A value that is markup stays markup (a link to the record it names).
    expect(root.querySelector("dl.facts dd a")?.getAttribute("href")).toBe("#c");
  });

  it("is an empty list when nothing is set", async () => {
    const root = await mount(<Facts facts={[["Notes", null]]} />);
    expect(pairs(root)).toEqual([]);
  });
});
