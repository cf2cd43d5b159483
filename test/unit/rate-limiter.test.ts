import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/shared/rate-limiter.ts";

describe("createRateLimiter (fixed window)", () => {
  it("allows up to the limit in one window and refuses the next", () => {
    const t = 0;
    const rl = createRateLimiter(60_000, () => t);
    const results = Array.from({ length: 4 }, () => rl.hit("a", 3));
    expect(results).toEqual([true, true, true, false]);
  });

  it("a new window starts fresh", () => {
    let t = 0;
    const rl = createRateLimiter(60_000, () => t);
    for (let i = 0; i < 5; i++) rl.hit("a", 3);
    t = 60_000;
    expect(rl.hit("a", 3)).toBe(true);
  });

  it("keys are independent", () => {
    const rl = createRateLimiter(60_000, () => 0);
    expect(rl.hit("a", 1)).toBe(true);
    expect(rl.hit("a", 1)).toBe(false);
    expect(rl.hit("b", 1)).toBe(true);
  });

  it("sweep forgets finished windows only", () => {
    let t = 0;
    const rl = createRateLimiter(1000, () => t);
    rl.hit("old", 1);
    t = 900;
    rl.hit("new", 1);
    t = 1000;
    rl.sweep();
    // "old" was swept, so it starts a new window; "new" is still in its window and over the limit.
    expect(rl.hit("old", 1)).toBe(true);
    expect(rl.hit("new", 1)).toBe(false);
  });
});
