/** Directory administration, pure parts: staleness flags, applying an edit or a verification. */
import { NATIONAL_HOTLINE_SOURCE } from "../knowledge/directory-schema.ts";
import type { ServiceEntry } from "../knowledge/knowledge-types.ts";

/** A verification older than this is flagged for re-checking. */
export const STALE_AFTER_DAYS = 180;

export type Staleness = "never" | "old" | null;

/**
 * "never": a local point (not a national hotline) nobody has verified;
 * "old": verified more than STALE_AFTER_DAYS days before `now`; else null.
 */
export function staleness(entry: Pick<ServiceEntry, "verified" | "verifiedAt" | "source">, now: Date): Staleness {
  if (entry.source === NATIONAL_HOTLINE_SOURCE) return null;
  if (!entry.verified || entry.verifiedAt === null) return "never";
  // Whole days between the verification day and today, both in Jiyuan's time.
  const days = (Date.parse(localDate(now)) - Date.parse(entry.verifiedAt)) / 86_400_000;
  return days > STALE_AFTER_DAYS ? "old" : null;
}

/** Fields an administrator edits in the form. */
export const EDITABLE_FIELDS = [
  "name",
  "phone",
  "address",
  "hours",
  "description",
  "howToReach",
  "keywords",
] as const satisfies readonly (keyof ServiceEntry)[];

export type EntryPatch = Partial<Pick<ServiceEntry, (typeof EDITABLE_FIELDS)[number]>>;

/** Blank text becomes null; keywords are trimmed and de-duplicated. Fields not given keep their value. */
export function applyPatch(entry: ServiceEntry, patch: EntryPatch): ServiceEntry {
  const next: ServiceEntry = { ...entry, keywords: [...entry.keywords] };
  const clean = (v: string | null | undefined) => (v === null || v === undefined || v.trim() === "" ? null : v.trim());
  if (patch.name !== undefined) next.name = patch.name.trim();
  if (patch.description !== undefined) next.description = patch.description.trim();
  if (patch.phone !== undefined) next.phone = clean(patch.phone);
  if (patch.address !== undefined) next.address = clean(patch.address);
  if (patch.hours !== undefined) next.hours = clean(patch.hours);
  if (patch.howToReach !== undefined) next.howToReach = clean(patch.howToReach);
  if (patch.keywords !== undefined) {
    next.keywords = [...new Set(patch.keywords.map((k) => k.trim()).filter((k) => k !== ""))];
  }
  return next;
}

/** `YYYY-MM-DD` of an instant in Jiyuan's time (UTC+8). */
export function localDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

export interface Verification {
  verifiedBy: string;
  verifiedAt: string;
  source: string;
}

export function applyVerification(entry: ServiceEntry, v: Verification): ServiceEntry {
  return { ...entry, verified: true, verifiedBy: v.verifiedBy, verifiedAt: v.verifiedAt, source: v.source };
}

/** Withdraws a verification: phone, address and hours go too (unverified entries may not carry them). */
export function withdrawVerification(entry: ServiceEntry): ServiceEntry {
  return { ...entry, verified: false, verifiedBy: null, verifiedAt: null, phone: null, address: null, hours: null };
}
