import { errors } from "../shared/errors.ts";
import { type AsyncRateLimiter, createMemoryRateLimiter } from "../shared/shared-rate-limiter.ts";

/** How many residents may plausibly share one address (carrier NAT, a school's Wi-Fi). */
const PER_ADDRESS_FACTOR = 5;
const WINDOW_MS = 60_000;

export interface ResidentLimiter {
  /** Rejects with ERR_RATE_LIMITED (429) when this resident or their address sends too fast. */
  check(ip: string, conversationId: string | undefined): Promise<void>;
  /** Stops the sweeps and sends what the shared limiter has not yet synced. */
  stop(): Promise<void>;
}

/**
 * Per resident (conversation) and per address, per minute. In memory for one
 * instance (SQLite); `shared` (the RateLimitBucket table on PostgreSQL) when
 * several instances serve the same residents.
 */
export function createResidentLimiter(
  perMinute: number,
  onError: (err: unknown) => void,
  shared?: (windowMs: number) => AsyncRateLimiter,
): ResidentLimiter {
  const limiter = shared ? shared(WINDOW_MS) : createMemoryRateLimiter(WINDOW_MS);
  const timer = setInterval(() => {
    limiter.sweep().catch(onError);
  }, WINDOW_MS);
  timer.unref();
  return {
    async check(ip, conversationId) {
      const ok = await limiter.hitAll([
        { key: `ip:${ip}`, limit: perMinute * PER_ADDRESS_FACTOR },
        ...(conversationId ? [{ key: `c:${conversationId}`, limit: perMinute }] : []),
      ]);
      if (!ok) throw errors.rateLimited();
    },
    async stop() {
      clearInterval(timer);
      await limiter.stop();
    },
  };
}
