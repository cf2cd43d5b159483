/** Pure look-ups over the directory for the mini-program API. */
import { NATIONAL_HOTLINE_SOURCE } from "../knowledge/directory-schema.ts";
import type { AreaDef, ServiceCategory, ServiceEntry } from "../knowledge/knowledge-types.ts";

/** Canonical 街道/镇 for what a client sent ("沁园", "沁园办事处" → "沁园街道"), or null. */
export function resolveArea(areas: readonly AreaDef[], input: string): string | null {
  const word = input.trim();
  if (word === "") return null;
  return areas.find((a) => a.name === word || a.aliases.includes(word))?.name ?? null;
}

/** The 400 message for an unknown area: what was sent, every name, and that the short form works too. */
export function unknownAreaMessage(areas: readonly AreaDef[], input: string): string {
  const subdistricts = areas.filter((a) => a.kind === "subdistrict").map((a) => a.name);
  const towns = areas.filter((a) => a.kind === "town").map((a) => a.name);
  const shown = input.trim().slice(0, 30);
  return (
    `没有找到“${shown}”这个街道或镇。请写济源示范区的街道或镇的名称：` +
    `${subdistricts.join("、")}（${subdistricts.length}个街道）；${towns.join("、")}（${towns.length}个镇）。` +
    "也可以只写前面的地名，如“沁园”“克井”。不确定时可以不填。"
  );
}

export interface DirectoryQuery {
  area: string | null;
  category: ServiceCategory | null;
}

/**
 * The entries for an area: its own service points first, then the district-wide
 * and national ones (area null), which serve every area. Without an area: all.
 */
export function filterDirectory(entries: readonly ServiceEntry[], q: DirectoryQuery): ServiceEntry[] {
  const matches = entries.filter(
    (e) =>
      (q.category === null || e.category === q.category) && (q.area === null || e.area === q.area || e.area === null),
  );
  if (q.area === null) return matches;
  return [...matches.filter((e) => e.area !== null), ...matches.filter((e) => e.area === null)];
}

/** The national hotlines (110 first, then 120, then the rest in file order). */
export function nationalHotlines(entries: readonly ServiceEntry[]): ServiceEntry[] {
  const rank = (e: ServiceEntry) => (e.phone === "110" ? 0 : e.phone === "120" ? 1 : 2);
  return entries
    .filter((e) => e.category === "hotline" && e.source === NATIONAL_HOTLINE_SOURCE)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map(({ e }) => e);
}
