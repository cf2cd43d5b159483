import { errors } from "../shared/errors.ts";
import { createRateLimiter } from "../shared/rate-limiter.ts";

/** How many residents may plausibly share one address (carrier NAT, a school's Wi-Fi). */
const PER_ADDRESS_FACTOR = 5;

export interface ResidentLimiter {
  /** Throws ERR_RATE_LIMITED (429) when this resident or their address sends too fast. */
  check(ip: string, conversationId: string | undefined): void;
  stop(): void;
}

export function createResidentLimiter(perMinute: number): ResidentLimiter {
  const limiter = createRateLimiter(60_000);
  const timer = setInterval(() => limiter.sweep(), 60_000);
  timer.unref();
  return {
    check(ip, conversationId) {
      const addressOk = limiter.hit(`ip:${ip}`, perMinute * PER_ADDRESS_FACTOR);
      const residentOk = conversationId ? limiter.hit(`c:${conversationId}`, perMinute) : true;
      if (!addressOk || !residentOk) throw errors.rateLimited();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
