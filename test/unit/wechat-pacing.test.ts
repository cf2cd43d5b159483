import { describe, expect, it } from "vitest";
import { createManualClock } from "../../bots/wechat/dev/manual-clock.ts";
import {
  type BucketSpec,
  backoffMs,
  DEFAULT_PACING,
  decide,
  fullBucket,
  initialPacer,
  type PacerState,
  type PacingSpec,
  prune,
  refill,
  take,
  waitFor,
} from "../../bots/wechat/pacing-fns.ts";
import { createSendQueue, SendAbortedError } from "../../bots/wechat/send-queue.ts";

const ACCOUNT: BucketSpec = { capacity: 3, refillMs: 1000 };
const CONTACT: BucketSpec = { capacity: 3, refillMs: 2000 };
const SPEC: PacingSpec = { account: ACCOUNT, contact: CONTACT };

describe("token bucket", () => {
  it.each([
    // bucket, now, expected tokens after refill
    [{ tokens: 0, at: 0 }, 0, 0],
    [{ tokens: 0, at: 0 }, 1000, 1],
    [{ tokens: 0, at: 0 }, 1500, 1.5],
    [{ tokens: 2, at: 0 }, 5000, 3],
    [{ tokens: 1, at: 1000 }, 500, 1], // a clock going backwards changes nothing
  ])("refill %o at %i → %f tokens", (bucket, now, tokens) => {
    expect(refill(bucket, ACCOUNT, now).tokens).toBeCloseTo(tokens);
  });

  it.each([
    [{ tokens: 3, at: 0 }, 0, true, 2, 0],
    [{ tokens: 1, at: 0 }, 0, true, 0, 0],
    [{ tokens: 0, at: 0 }, 0, false, 0, 1000],
    [{ tokens: 0.5, at: 0 }, 0, false, 0.5, 500],
    [{ tokens: 0, at: 0 }, 999, false, 0.999, 1],
    [{ tokens: 0, at: 0 }, 1000, true, 0, 0],
  ])("take from %o at %i: ok=%s, tokens left %f, wait %i ms", (bucket, now, ok, left, wait) => {
    const r = take(bucket, ACCOUNT, now);
    expect(r.ok).toBe(ok);
    expect(r.bucket.tokens).toBeCloseTo(left);
    expect(r.ok ? 0 : r.waitMs).toBe(wait);
    expect(waitFor(bucket, ACCOUNT, now)).toBe(wait);
  });

  it("a full bucket allows a burst of `capacity`, then one per refill interval", () => {
    let b = fullBucket(CONTACT, 0);
    const sentAt: number[] = [];
    for (let t = 0; sentAt.length < 6; t += 100) {
      for (let r = take(b, CONTACT, t); ; r = take(b, CONTACT, t)) {
        b = r.bucket;
        if (!r.ok) break;
        sentAt.push(t);
      }
    }
    expect(sentAt).toEqual([0, 0, 0, 2000, 4000, 6000]);
  });
});

/** Runs `decide` like the send queue does, with messages all queued at time 0, heads served oldest first. */
function simulate(spec: PacingSpec, queued: string[], until = 120_000) {
  const queues = new Map<string, number[]>();
  for (const [seq, key] of queued.entries()) queues.set(key, [...(queues.get(key) ?? []), seq]);
  let state: PacerState = initialPacer(spec, 0);
  const sent: Array<[string, number]> = [];
  let now = 0;
  while (now <= until) {
    const heads = [...queues.entries()]
      .filter(([, q]) => q.length > 0)
      .sort((a, b) => (a[1][0] ?? 0) - (b[1][0] ?? 0))
      .map(([key]) => ({ key, notBefore: 0 }));
    const d = decide(state, spec, heads, now);
    if (d.action === "idle") break;
    if (d.action === "wait") {
      now += d.ms;
      continue;
    }
    state = d.state;
    queues.get(d.key)?.shift();
    sent.push([d.key, now]);
  }
  return sent;
}

describe("decide (account and conversation buckets together)", () => {
  it.each<[string, string[], Array<[string, number]>]>([
    ["nothing queued", [], []],
    ["one message", ["a"], [["a", 0]]],
    [
      "one conversation: burst of 3, then one every 2 s",
      ["a", "a", "a", "a", "a"],
      [
        ["a", 0],
        ["a", 0],
        ["a", 0],
        ["a", 2000],
        ["a", 4000],
      ],
    ],
    [
      "many conversations: the account allows 3 at once, then one a second",
      ["a", "b", "c", "d", "e"],
      [
        ["a", 0],
        ["b", 0],
        ["c", 0],
        ["d", 1000],
        ["e", 2000],
      ],
    ],
    [
      "a throttled conversation does not hold up another",
      ["a", "a", "a", "a", "b"],
      [
        ["a", 0],
        ["a", 0],
        ["a", 0],
        ["b", 1000],
        ["a", 2000],
      ],
    ],
  ])("%s", (_label, queued, expected) => {
    expect(simulate(SPEC, queued)).toEqual(expected);
  });

  it("20 messages to one resident all go out, the 4th onwards 2 s apart", () => {
    const sent = simulate(
      DEFAULT_PACING,
      Array.from({ length: 20 }, () => "a"),
    );
    expect(sent).toHaveLength(20);
    expect(sent.map(([, t]) => t)).toEqual(Array.from({ length: 20 }, (_, i) => Math.max(0, (i - 2) * 2000)));
  });

  it("honours a head's notBefore (retry backoff)", () => {
    const d = decide(initialPacer(SPEC, 0), SPEC, [{ key: "a", notBefore: 750 }], 0);
    expect(d).toEqual({ action: "wait", ms: 750 });
  });

  it("prune forgets conversations whose bucket is full again", () => {
    const d = decide(initialPacer(SPEC, 0), SPEC, [{ key: "a", notBefore: 0 }], 0);
    if (d.action !== "send") throw new Error("expected a send");
    expect(prune(d.state, SPEC, 1000).contacts.has("a")).toBe(true);
    expect(prune(d.state, SPEC, 2000).contacts.has("a")).toBe(false);
  });
});

describe("backoffMs", () => {
  const spec = { baseMs: 1000, maxMs: 30_000 };
  it.each([
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [5, 1, 16_000],
    [6, 1, 30_000],
    [20, 0, 15_000],
  ])("attempt %i with random %f → %i ms", (attempt, r, expected) => {
    expect(backoffMs(attempt, spec, () => r)).toBe(expected);
  });
});

describe("send queue (injected clock)", () => {
  it("sends 20 messages to one resident at the paced rate, in order, none dropped", async () => {
    const clock = createManualClock();
    const queue = createSendQueue({ clock });
    const sent: Array<[string, number]> = [];
    const target = { key: "c:1", say: async (text: string) => void sent.push([text, clock.now()]) };
    const done = Array.from({ length: 20 }, (_, i) => queue.enqueue(target, `m${i}`));
    await flush();
    expect(sent).toHaveLength(3);
    for (let i = 0; i < 17; i++) {
      clock.advance(2000);
      await flush();
    }
    await Promise.all(done);
    expect(sent.map(([t]) => t)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(sent.map(([, at]) => at)).toEqual(Array.from({ length: 20 }, (_, i) => Math.max(0, (i - 2) * 2000)));
  });

  it("retries a failed send with backoff before later messages of the same resident", async () => {
    const clock = createManualClock();
    const queue = createSendQueue({ clock, retry: { baseMs: 1000, maxMs: 1000 }, random: () => 1 });
    const sent: string[] = [];
    let failures = 1;
    const target = {
      key: "c:1",
      say: async (text: string) => {
        if (text === "first" && failures-- > 0) throw new Error("network");
        sent.push(text);
      },
    };
    const a = queue.enqueue(target, "first");
    const b = queue.enqueue(target, "second");
    await flush();
    expect(sent).toEqual([]);
    clock.advance(1000);
    await flush();
    await Promise.all([a, b]);
    expect(sent).toEqual(["first", "second"]);
  });

  it("rejects after maxAttempts, and an aborted message is removed without being sent", async () => {
    const clock = createManualClock();
    const queue = createSendQueue({ clock, maxAttempts: 2, retry: { baseMs: 10, maxMs: 10 }, random: () => 1 });
    const failing = queue.enqueue({ key: "x", say: () => Promise.reject(new Error("down")) }, "never");
    const outcome = failing.then(
      () => "sent",
      () => "rejected",
    );
    await flush();
    clock.advance(10);
    await flush();
    expect(await outcome).toBe("rejected");

    const fresh = createSendQueue({ clock });
    const abort = new AbortController();
    const sent: string[] = [];
    const target = { key: "y", say: async (t: string) => void sent.push(t) };
    for (let i = 0; i < 3; i++) await fresh.enqueue(target, `burst${i}`);
    const waiting = fresh.enqueue(target, "later", { signal: abort.signal });
    abort.abort();
    await expect(waiting).rejects.toBeInstanceOf(SendAbortedError);
    clock.advance(10_000);
    await flush();
    expect(sent).toEqual(["burst0", "burst1", "burst2"]);
  });
});

async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
