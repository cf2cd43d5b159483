import { describe, expect, it } from "vitest";
import { createLruCache, memoize } from "../../src/shared/lru-cache.ts";

describe("createLruCache", () => {
  it("evicts the least recently used key when over capacity", () => {
    const c = createLruCache<number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recent
    c.set("c", 3);
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe(1);
    expect(c.get("c")).toBe(3);
    expect(c.size).toBe(2);
  });

  it("re-setting a key replaces its value without growing", () => {
    const c = createLruCache<string>(2);
    c.set("a", "x");
    c.set("a", "y");
    expect(c.get("a")).toBe("y");
    expect(c.size).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses capacity %s", (capacity) => {
    expect(() => createLruCache(capacity)).toThrow(RangeError);
  });
});

describe("memoize", () => {
  it("computes each key once while it stays cached, again after eviction", () => {
    const calls: string[] = [];
    const f = memoize(1, (k) => {
      calls.push(k);
      return { k };
    });
    const first = f("a");
    expect(f("a")).toBe(first);
    f("b");
    f("a");
    expect(calls).toEqual(["a", "b", "a"]);
  });
});
