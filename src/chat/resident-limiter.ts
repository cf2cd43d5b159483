import { errors } from "../shared/errors.ts";
import type { AsyncRateLimiter } from "../shared/shared-rate-limiter.ts";

/** How many residents may plausibly share one address (carrier NAT, a school's Wi-Fi). */
const PER_ADDRESS_FACTOR = 5;

export interface ResidentLimiter {
  /** Rejects with ERR_RATE_LIMITED (429) when this resident or their address sends too fast. */
  check(ip: string, conversationId: string | undefined): Promise<void>;
}

/**
 * Per resident (conversation) and per address, per window of the counters
 * (a minute: src/shared/rate-limits.ts says where they live).
 */
export function createResidentLimiter(perMinute: number, counters: AsyncRateLimiter): ResidentLimiter {
  return {
    async check(ip, conversationId) {
      const ok = await counters.hitAll([
        { key: `ip:${ip}`, limit: perMinute * PER_ADDRESS_FACTOR },
        ...(conversationId ? [{ key: `c:${conversationId}`, limit: perMinute }] : []),
      ]);
      if (!ok) throw errors.rateLimited();
    },
  };
}
