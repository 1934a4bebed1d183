/** What the first mutation run of js/graph/search.ts showed the search tests did not pin down. */
import { describe, expect, it } from "vitest";
import { matcher, search } from "../../js/graph/search";
import { Hierarchy } from "../../js/graph/visible";
import { goldenPayload } from "./fake-model";

describe("search, precisely", () => {
  const hierarchy = new Hierarchy(goldenPayload());
  const ids = (query: string): string[] => search(hierarchy, query).hits.map((h) => h.id);

  it("reads a query as a regular expression only when all of it is /pattern/flags", () => {
    // text before the first slash, or after the flags: a plain substring, which nothing contains
    expect(ids("blocks/.0/")).toEqual([]);
    expect(ids("/add/1")).toEqual([]);
    expect(ids("/add/")).toEqual(["add#1"]);
  });

  it("trims the query: blanks alone are no query, and a padded /pattern/ is still one", () => {
    expect(matcher("   ")).toBeNull();
    const padded = matcher("  /^add#\\d$/  ");
    expect(padded !== null && "test" in padded && padded.test("add#1")).toBe(true);
  });

  it("says which hits are groups", () => {
    const hits = search(hierarchy, "blocks.0").hits;
    expect(hits.map((h) => [h.id, h.group])).toEqual([
      ["blocks.0.conv", false],
      ["blocks.0", true],
    ]);
    expect(hits[1]).toEqual({ id: "blocks.0", op: "Block", label: "blocks.0", group: true });
  });
});
