import { createHash, timingSafeEqual } from "node:crypto";

export const MIN_BOT_TOKEN_LENGTH = 32;

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * True when the Authorization header carries exactly `Bearer <expected>`.
 * Both sides are hashed first so the comparison is constant-time and does not
 * leak the token's length either.
 */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  if (!header || expected.length === 0) return false;
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  const presented = match?.[1] ?? "";
  const same = timingSafeEqual(digest(presented), digest(expected));
  return same && presented.length > 0;
}
