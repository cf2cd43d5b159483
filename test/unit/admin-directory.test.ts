import { describe, expect, it } from "vitest";
import {
  applyPatch,
  applyVerification,
  localDate,
  staleness,
  withdrawVerification,
} from "../../src/admin/directory-admin-fns.ts";
import { applyDirectoryEdits } from "../../src/admin/knowledge-store.ts";
import { DirectoryError, NATIONAL_HOTLINE_SOURCE } from "../../src/knowledge/directory-schema.ts";
import type { ServiceEntry } from "../../src/knowledge/knowledge-types.ts";

const point: ServiceEntry = {
  id: "qinyuan-children-home",
  name: "沁园街道儿童之家",
  category: "children_home",
  area: "沁园街道",
  phone: null,
  address: null,
  hours: null,
  description: "儿童活动场所",
  howToReach: "问村委会",
  keywords: ["儿童之家"],
  source: "规划",
  verified: false,
  verifiedAt: null,
  verifiedBy: null,
};
const areas = [{ name: "沁园街道", kind: "subdistrict" as const, aliases: ["沁园"] }];
const now = new Date("2026-11-29T04:00:00Z");

describe("staleness", () => {
  it.each([
    { name: "local point never verified", entry: point, expected: "never" },
    {
      name: "verified yesterday",
      entry: { ...point, verified: true, verifiedAt: "2026-11-28", verifiedBy: "张" },
      expected: null,
    },
    {
      name: "verified 180 days ago is still fresh",
      entry: { ...point, verified: true, verifiedAt: "2026-06-02", verifiedBy: "张" },
      expected: null,
    },
    {
      name: "verified 181+ days ago",
      entry: { ...point, verified: true, verifiedAt: "2026-05-01", verifiedBy: "张" },
      expected: "old",
    },
    {
      name: "national hotline needs no local verifier",
      entry: { ...point, source: NATIONAL_HOTLINE_SOURCE, verified: true },
      expected: null,
    },
  ])("$name → $expected", ({ entry, expected }) => {
    expect(staleness(entry, now)).toBe(expected);
  });
});

describe("edits", () => {
  it("applyPatch trims, blanks become null, keywords de-duplicated; untouched fields kept", () => {
    const next = applyPatch(
      { ...point, verified: true, verifiedAt: "2026-11-28", verifiedBy: "张" },
      { phone: " 0391-6612345 ", address: "  ", keywords: ["儿童之家", " 儿童之家", "", "四点半课堂"] },
    );
    expect(next.phone).toBe("0391-6612345");
    expect(next.address).toBeNull();
    expect(next.keywords).toEqual(["儿童之家", "四点半课堂"]);
    expect(next.name).toBe(point.name);
  });

  it("verification then withdrawal clears phone, address and hours", () => {
    const verified = applyVerification(point, { verifiedBy: "张敏", verifiedAt: "2026-11-29", source: "电话核实" });
    expect(verified).toMatchObject({
      verified: true,
      verifiedBy: "张敏",
      verifiedAt: "2026-11-29",
      source: "电话核实",
    });
    const withdrawn = withdrawVerification({ ...verified, phone: "0391-6612345" });
    expect(withdrawn).toMatchObject({ verified: false, verifiedBy: null, verifiedAt: null, phone: null });
  });

  it("localDate is Jiyuan's day", () => {
    expect(localDate(new Date("2026-11-28T16:30:00Z"))).toBe("2026-11-29");
  });
});

describe("applyDirectoryEdits", () => {
  const row = (entry: ServiceEntry, deletedAt: Date | null = null) => ({
    id: entry.id,
    data: JSON.stringify(entry),
    deletedAt,
  });
  it("edits replace entries; deletions remove them", () => {
    const edited = { ...point, name: "新名字" };
    expect(applyDirectoryEdits([point], [row(edited)], areas)[0]?.name).toBe("新名字");
    expect(applyDirectoryEdits([point], [row(point, new Date())], areas)).toEqual([]);
  });
  it("keeps the truth-in-data rule: an unverified entry with a phone is refused", () => {
    expect(() => applyDirectoryEdits([point], [row({ ...point, phone: "0391-6612345" })], areas)).toThrow(
      DirectoryError,
    );
  });
});
