/**
 * Fixed-window counters per key, in memory (one instance). A resident's key is
 * their conversation, with a wider per-address key behind it so that starting
 * new conversations does not escape the limit.
 */
export interface RateLimiter {
  /** Counts one hit; false when the key is over its limit for this window. */
  hit(key: string, limit: number): boolean;
  /** Drops finished windows; called periodically. */
  sweep(): void;
}

export function createRateLimiter(windowMs: number, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key, limit) {
      const t = now();
      const w = windows.get(key);
      if (!w || t - w.start >= windowMs) {
        windows.set(key, { start: t, count: 1 });
        return 1 <= limit;
      }
      w.count++;
      return w.count <= limit;
    },
    sweep() {
      const t = now();
      for (const [key, w] of windows) if (t - w.start >= windowMs) windows.delete(key);
    },
  };
}
