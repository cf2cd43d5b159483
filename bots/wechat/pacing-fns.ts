/**
 * Pacing for everything the bot sends (pure). WeChat restricts accounts that
 * send fast, and a resident flooding the bot must not get a flood back, so
 * every send takes a token from the account's bucket and from the
 * conversation's bucket. Nothing is ever dropped: a send without tokens waits.
 */

export interface BucketSpec {
  /** Tokens when full: how many sends may go out back to back. */
  capacity: number;
  /** One token comes back every this many milliseconds. */
  refillMs: number;
}

export interface Bucket {
  tokens: number;
  /** Time (ms) the token count was computed at. */
  at: number;
}

export interface PacingSpec {
  account: BucketSpec;
  contact: BucketSpec;
}

/** About one message a second for the account (burst 3); a conversation gets a burst of 3, then one per 2 s. */
export const DEFAULT_PACING: PacingSpec = {
  account: { capacity: 3, refillMs: 1000 },
  contact: { capacity: 3, refillMs: 2000 },
};

/** Token counts are fractions; a sum of small refills can land a hair under 1. */
const EPS = 1e-9;

export function fullBucket(spec: BucketSpec, now: number): Bucket {
  return { tokens: spec.capacity, at: now };
}

export function refill(bucket: Bucket, spec: BucketSpec, now: number): Bucket {
  if (now <= bucket.at) return bucket;
  const tokens = Math.min(spec.capacity, bucket.tokens + (now - bucket.at) / spec.refillMs);
  return { tokens, at: now };
}

/** Milliseconds until the bucket holds a whole token (0 when it already does). */
export function waitFor(bucket: Bucket, spec: BucketSpec, now: number): number {
  const b = refill(bucket, spec, now);
  return b.tokens >= 1 - EPS ? 0 : Math.ceil((1 - b.tokens) * spec.refillMs - EPS);
}

export type TakeResult = { ok: true; bucket: Bucket } | { ok: false; bucket: Bucket; waitMs: number };

export function take(bucket: Bucket, spec: BucketSpec, now: number): TakeResult {
  const b = refill(bucket, spec, now);
  if (b.tokens >= 1 - EPS) return { ok: true, bucket: { tokens: Math.max(0, b.tokens - 1), at: now } };
  return { ok: false, bucket: b, waitMs: waitFor(b, spec, now) };
}

export interface PacerState {
  account: Bucket;
  /** Buckets of conversations that sent recently; a missing key is a full bucket. */
  contacts: ReadonlyMap<string, Bucket>;
}

export function initialPacer(spec: PacingSpec, now: number): PacerState {
  return { account: fullBucket(spec.account, now), contacts: new Map() };
}

/** The first waiting message of one conversation. */
export interface QueueHead {
  key: string;
  /** Not before this time (ms): set after a failed send, for the retry backoff. */
  notBefore: number;
}

export type PacerDecision =
  | { action: "send"; key: string; state: PacerState }
  | { action: "wait"; ms: number }
  | { action: "idle" };

/**
 * Which conversation may send now. `heads` are in the order they should be
 * served (oldest waiting message first), so a throttled conversation does not
 * hold up the others and no conversation starves.
 */
export function decide(state: PacerState, spec: PacingSpec, heads: readonly QueueHead[], now: number): PacerDecision {
  if (heads.length === 0) return { action: "idle" };
  let soonest = Number.POSITIVE_INFINITY;
  let chosen: { key: string; bucket: Bucket } | null = null;
  for (const head of heads) {
    const bucket = state.contacts.get(head.key) ?? fullBucket(spec.contact, now);
    const wait = Math.max(waitFor(bucket, spec.contact, now), head.notBefore - now, 0);
    if (wait === 0) {
      chosen = { key: head.key, bucket };
      break;
    }
    soonest = Math.min(soonest, wait);
  }
  if (!chosen) return { action: "wait", ms: soonest };
  const account = take(state.account, spec.account, now);
  if (!account.ok) return { action: "wait", ms: account.waitMs };
  const contact = take(chosen.bucket, spec.contact, now);
  if (!contact.ok) return { action: "wait", ms: contact.waitMs }; // not reached: waitFor said a token is there
  const contacts = new Map(state.contacts);
  contacts.set(chosen.key, contact.bucket);
  return { action: "send", key: chosen.key, state: { account: account.bucket, contacts } };
}

/** Forgets conversations whose bucket has refilled: a full bucket is the same as no entry. */
export function prune(state: PacerState, spec: PacingSpec, now: number): PacerState {
  const contacts = new Map<string, Bucket>();
  for (const [key, bucket] of state.contacts) {
    if (refill(bucket, spec.contact, now).tokens < spec.contact.capacity - EPS) contacts.set(key, bucket);
  }
  return { account: state.account, contacts };
}

export interface BackoffSpec {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with jitter for retry `attempt` (1 = first retry): half
 * the delay is fixed, half random, so many bots (or many queued messages)
 * coming back after an outage do not all retry at the same moment.
 */
export function backoffMs(attempt: number, spec: BackoffSpec, random: () => number = Math.random): number {
  const exp = Math.min(spec.maxMs, spec.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
