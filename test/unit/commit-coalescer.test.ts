/**
 * The commit coalescer's rules (src/db/commit-coalescer.ts), with commits the
 * test releases by hand: alone when nothing is in flight, together when
 * waiting, each item's own outcome when a batch fails, one key per batch in
 * order, and never more than maxBatch.
 */
import { describe, expect, it } from "vitest";
import { createCommitCoalescer } from "../../src/db/commit-coalescer.ts";

type Item = { id: string; key: string; bad?: boolean };

/** A database whose commits finish when the test says so. */
function fakeDatabase(maxInFlight = 1, maxBatch = 10) {
  const commits: { items: string[]; release: () => void }[] = [];
  const committed: string[] = [];
  const start = (items: Item[]) =>
    new Promise<void>((resolve, reject) => {
      commits.push({
        items: items.map((i) => i.id),
        release: () => {
          if (items.some((i) => i.bad)) {
            reject(new Error("batch rolled back"));
            return;
          }
          committed.push(...items.map((i) => i.id));
          resolve();
        },
      });
    });
  const submit = createCommitCoalescer<Item>({
    commitBatch: (items) => start([...items]),
    commitOne: (item) => start([item]),
    key: (item) => item.key,
    maxInFlight,
    maxBatch,
  });
  return { submit, commits, committed };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("commit coalescer", () => {
  it("an item with nothing in flight commits alone, at once", async () => {
    const db = fakeDatabase();
    const done = db.submit({ id: "a", key: "1" });
    expect(db.commits.map((c) => c.items)).toEqual([["a"]]);
    db.commits[0]?.release();
    await done;
    expect(db.committed).toEqual(["a"]);
  });

  it("items that arrive while a commit is in flight go together in the next one", async () => {
    const db = fakeDatabase();
    const all = [db.submit({ id: "a", key: "1" }), db.submit({ id: "b", key: "2" }), db.submit({ id: "c", key: "3" })];
    expect(db.commits.map((c) => c.items)).toEqual([["a"]]);
    db.commits[0]?.release();
    await tick();
    expect(db.commits.map((c) => c.items)).toEqual([["a"], ["b", "c"]]);
    db.commits[1]?.release();
    await Promise.all(all);
    expect(db.committed).toEqual(["a", "b", "c"]);
  });

  it("a batch that fails is retried item by item: each caller hears its own outcome", async () => {
    const db = fakeDatabase();
    const first = db.submit({ id: "a", key: "1" });
    const good = db.submit({ id: "b", key: "2" });
    const bad = db.submit({ id: "c", key: "3", bad: true });
    db.commits[0]?.release();
    await first;
    await tick();
    db.commits[1]?.release(); // the batch [b, c] rolls back
    await tick();
    expect(db.commits.slice(2).map((c) => c.items)).toEqual([["b"], ["c"]]);
    for (const c of db.commits.slice(2)) c.release();
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow("batch rolled back");
    expect(db.committed).toEqual(["a", "b"]);
  });

  it("items with the same key never share a batch, and keep their order", async () => {
    const db = fakeDatabase();
    const all = [
      db.submit({ id: "a", key: "1" }),
      db.submit({ id: "b", key: "same" }),
      db.submit({ id: "c", key: "same" }),
      db.submit({ id: "d", key: "2" }),
    ];
    db.commits[0]?.release();
    await tick();
    expect(db.commits[1]?.items).toEqual(["b", "d"]);
    db.commits[1]?.release();
    await tick();
    expect(db.commits[2]?.items).toEqual(["c"]);
    db.commits[2]?.release();
    await Promise.all(all);
    expect(db.committed).toEqual(["a", "b", "d", "c"]);
  });

  it("at most maxInFlight commits run at once, and a batch holds at most maxBatch items", async () => {
    const db = fakeDatabase(2, 3);
    const all = Array.from({ length: 9 }, (_, i) => db.submit({ id: `m${i}`, key: `k${i}` }));
    expect(db.commits.map((c) => c.items)).toEqual([["m0"], ["m1"]]);
    db.commits[0]?.release();
    db.commits[1]?.release();
    await tick();
    expect(db.commits.slice(2).map((c) => c.items)).toEqual([
      ["m2", "m3", "m4"],
      ["m5", "m6", "m7"],
    ]);
    for (const c of db.commits.slice(2)) c.release();
    await tick();
    expect(db.commits.slice(4).map((c) => c.items)).toEqual([["m8"]]);
    db.commits[4]?.release();
    await Promise.all(all);
    expect(db.committed).toHaveLength(9);
  });
});
