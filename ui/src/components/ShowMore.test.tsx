import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import type { Page } from "../bindings/Page";
import { mount, settle } from "../testing/dom";
import { usePagedParts, type PagedParts } from "./ShowMore";

/** Numbers 0…n-1 of each part, read in keyset pages (a position here), as the core would. */
function source(sizes: Record<string, number>) {
  const reads: { part: string; limit: number; after: string | null }[] = [];
  const together: { part: string; limit: number }[][] = [];
  const page = (part: string, limit: number, after: string | null): Page<number> => {
    const start = after === null ? 0 : Number(after);
    const end = Math.min(start + limit, sizes[part]!);
    const items = Array.from({ length: end - start }, (_, i) => start + i);
    return { items, next: end < sizes[part]! ? String(end) : null };
  };
  return {
    reads,
    together,
    read: async (part: string, limit: number, after: string | null) => {
      reads.push({ part, limit, after });
      return page(part, limit, after);
    },
    readFirstPages: async (wanted: { part: string; limit: number }[]) => {
      together.push(wanted);
      return wanted.map(({ part, limit }) => page(part, limit, null));
    },
  };
}

let hook: PagedParts<"a" | "b", number>;

function Harness(props: { core: ReturnType<typeof source>; first: number }) {
  hook = usePagedParts(["a", "b"], props.first, props.core.read, { readFirstPages: props.core.readFirstPages });
  return null;
}

describe("parts read together", () => {
  it("reads every part's first page in one call, and a part's Show more alone", async () => {
    const core = source({ a: 30, b: 3 });
    await mount(<Harness core={core} first={10} />);
    await act(() => hook.reload());
    expect(core.together).toEqual([[{ part: "a", limit: 10 }, { part: "b", limit: 10 }]]);
    expect(core.reads).toEqual([]);
    expect(hook.parts?.a).toEqual({ items: Array.from({ length: 10 }, (_, i) => i), next: "10" });
    expect(hook.parts?.b).toEqual({ items: [0, 1, 2], next: null });

    await act(() => hook.more("a"));
    await settle();
    expect(core.reads).toEqual([{ part: "a", limit: 10, after: "10" }]);
    expect(hook.parts?.a.items).toHaveLength(20);
  });

  it("reads a part shown past the most one page holds on from its first page, so the user's place stays", async () => {
    const core = source({ a: 2500, b: 1 });
    await mount(<Harness core={core} first={1000} />);
    await act(() => hook.reload());
    await act(() => hook.more("a"));
    await settle();
    expect(hook.parts?.a.items).toHaveLength(2000);
    core.reads.length = 0;
    core.together.length = 0;

    await act(() => hook.reload());
    // One page a call at most: 1 000 together with the other part's, the next 1 000 after it.
    expect(core.together).toEqual([[{ part: "a", limit: 1000 }, { part: "b", limit: 1000 }]]);
    expect(core.reads).toEqual([{ part: "a", limit: 1000, after: "1000" }]);
    expect(hook.parts?.a.items).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(hook.parts?.a.next).toBe("2000");
    expect(hook.parts?.b).toEqual({ items: [0], next: null });
  });
});
