import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runImport } from "../../scripts/import-directory.ts";
import {
  combineOverrides,
  diffDirectory,
  directoryToCsv,
  mergeDirectory,
  minimizeOverrides,
  parseCsv,
  parseDirectoryCsv,
} from "../../src/knowledge/directory-import-fns.ts";
import {
  DEFAULT_KNOWLEDGE_DIR,
  DirectoryError,
  loadAreas,
  loadBaseDirectory,
  loadDirectory,
  resolveAreaName,
} from "../../src/knowledge/directory-loader.ts";
import { isValidPhone, NATIONAL_HOTLINE_SOURCE, SERVICE_CATEGORIES } from "../../src/knowledge/directory-schema.ts";
import type { ServiceEntry } from "../../src/knowledge/knowledge-types.ts";

const PLAN_FILE = fileURLToPath(
  new URL("../../knowledge/plans/jiyuan-women-children-plans-2021-2030.txt", import.meta.url),
);

const SUBDISTRICTS = ["沁园街道", "济水街道", "北海街道", "天坛街道", "玉泉街道"];
const TOWNS = [
  "克井镇",
  "五龙口镇",
  "梨林镇",
  "轵城镇",
  "承留镇",
  "坡头镇",
  "邵原镇",
  "王屋镇",
  "下冶镇",
  "大峪镇",
  "思礼镇",
];

const HOTLINES: Record<string, string> = {
  "hotline-110": "110",
  "hotline-120": "120",
  "hotline-12338": "12338",
  "hotline-12355": "12355",
  "hotline-12348": "12348",
  "hotline-12345": "12345",
  "hotline-12356": "12356",
};

/** The plan points put in every 街道/镇. */
const PER_AREA_CATEGORIES = [
  "parent_school",
  "family_education_station",
  "children_home",
  "children_director",
  "women_home",
  "social_work_station",
  "minor_protection_station",
  "maternal_child_health",
];

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "directory-test-"));
  tempDirs.push(dir);
  return dir;
}

/** A knowledge dir with the real areas.yaml and the given directory files (path → YAML). */
function knowledgeDir(files: Record<string, string>): string {
  const dir = tempDir();
  cpSync(path.join(DEFAULT_KNOWLEDGE_DIR, "areas.yaml"), path.join(dir, "areas.yaml"));
  mkdirSync(path.join(dir, "directory", "areas"), { recursive: true });
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text, "utf8");
  return dir;
}

/** A copy of the real knowledge dir (areas + directory). */
function copyOfRealKnowledge(): string {
  const dir = tempDir();
  cpSync(path.join(DEFAULT_KNOWLEDGE_DIR, "areas.yaml"), path.join(dir, "areas.yaml"));
  cpSync(path.join(DEFAULT_KNOWLEDGE_DIR, "directory"), path.join(dir, "directory"), { recursive: true });
  return dir;
}

function entryYaml({ id, ...fields }: Partial<Record<keyof ServiceEntry, unknown>> & { id: string }): string {
  const entry: Record<string, unknown> = {
    id,
    name: "测试服务点",
    category: "other",
    area: null,
    phone: null,
    address: null,
    hours: null,
    description: "测试用条目。",
    howToReach: null,
    keywords: ["测试"],
    source: "测试",
    verified: false,
    verifiedAt: null,
    verifiedBy: null,
    ...fields,
  };
  const lines = Object.entries(entry).map(([k, v], i) => `${i === 0 ? "- " : "  "}${k}: ${JSON.stringify(v)}`);
  return `${lines.join("\n")}\n`;
}

function entry(fields: Partial<ServiceEntry> & { id: string }): ServiceEntry {
  return {
    name: "测试服务点",
    category: "other",
    area: null,
    phone: null,
    address: null,
    hours: null,
    description: "测试用条目。",
    howToReach: null,
    keywords: ["测试"],
    source: "测试",
    verified: false,
    verifiedAt: null,
    verifiedBy: null,
    ...fields,
  };
}

function directoryError(fn: () => unknown): DirectoryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DirectoryError);
    return err as DirectoryError;
  }
  throw new Error("expected a DirectoryError");
}

const VERIFIED = { verified: true, verifiedBy: "沁园街道办事处（电话核实）", verifiedAt: "2026-11-20" } as const;

// ---------------------------------------------------------------------------

describe("the real knowledge", () => {
  const areas = loadAreas();
  const directory = loadDirectory();

  it("has the 5 街道 and 11 镇 with their kinds", () => {
    expect(areas.map((a) => a.name).sort()).toEqual([...SUBDISTRICTS, ...TOWNS].sort());
    for (const name of SUBDISTRICTS) expect(areas.find((a) => a.name === name)?.kind).toBe("subdistrict");
    for (const name of TOWNS) expect(areas.find((a) => a.name === name)?.kind).toBe("town");
  });

  it("resolves the ways residents write an area", () => {
    expect(resolveAreaName(areas, "沁园")).toBe("沁园街道");
    expect(resolveAreaName(areas, "沁园办事处")).toBe("沁园街道");
    expect(resolveAreaName(areas, "沁园街道办")).toBe("沁园街道");
    expect(resolveAreaName(areas, "克井")).toBe("克井镇");
    expect(resolveAreaName(areas, " 五龙口镇 ")).toBe("五龙口镇");
    expect(resolveAreaName(areas, "郑州")).toBeNull();
  });

  it("loads, with unique ids", () => {
    expect(directory.length).toBeGreaterThan(100);
    const ids = directory.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has the 7 national hotlines with the right numbers", () => {
    const national = directory.filter((e) => e.source === NATIONAL_HOTLINE_SOURCE);
    expect(Object.fromEntries(national.map((e) => [e.id, e.phone]))).toEqual(HOTLINES);
    for (const e of national) {
      expect(e.category).toBe("hotline");
      expect(e.area).toBeNull();
      expect(e.verified).toBe(true);
      expect(e.keywords.length).toBeGreaterThan(0);
      expect(e.hours).toBe(e.phone === "110" || e.phone === "120" ? "24小时" : null);
    }
  });

  it("gives no phone, address or hours to anything not verified", () => {
    for (const e of directory) {
      if (e.verified) continue;
      expect([e.id, e.phone, e.address, e.hours]).toEqual([e.id, null, null, null]);
    }
  });

  it("puts the plan's local points in every 街道/镇", () => {
    // The data files only: local overrides may add entries.
    const base = loadBaseDirectory();
    for (const area of [...SUBDISTRICTS, ...TOWNS]) {
      const categories = base.filter((e) => e.area === area).map((e) => e.category);
      expect(categories.sort(), area).toEqual([...PER_AREA_CATEGORIES].sort());
    }
    for (const e of directory) if (e.area !== null) expect(e.howToReach, e.id).not.toBeNull();
    expect(directory.find((e) => e.id === "qinyuan-children-home")?.area).toBe("沁园街道");
  });

  it("uses only known categories", () => {
    for (const e of directory) expect(SERVICE_CATEGORIES).toContain(e.category);
  });

  it("cites clauses that exist in the plan text", () => {
    const planText = readFileSync(PLAN_FILE, "utf8");
    const lines = planText.split(/\r?\n/).map((l) => l.trim());
    const childrenStart = lines.findIndex((l) => /^济源示范区儿童发展规划（2021—2030\s*年）$/.test(l));
    expect(childrenStart).toBeGreaterThan(0);
    const parts = { 妇女: lines.slice(0, childrenStart), 儿童: lines.slice(childrenStart) };

    const clauseExists = (plan: "妇女" | "儿童", chapter: string, section: string | undefined, n: string) => {
      const part = parts[plan];
      const start = part.findIndex((l) => new RegExp(`^(（[一二三四五六七八九十]+）|[一二三四]、)${chapter}$`).test(l));
      if (start < 0) return false;
      const end = part.findIndex(
        (l, i) => i > start && /^（[一二三四五六七八九十]+）[^（]+$|^[一二三四]、/.test(l) && !/^（\d/.test(l),
      );
      let body = part.slice(start + 1, end < 0 ? undefined : end);
      if (section) {
        const s = body.findIndex((l) => l === `${section === "主要目标" ? "1" : "2"}.${section}`);
        if (s < 0) return false;
        const e = body.findIndex((l, i) => i > s && /^\d\.(主要目标|策略措施)$/.test(l));
        body = body.slice(s + 1, e < 0 ? undefined : e);
        return body.some((l) => l.startsWith(`（${n}）`));
      }
      // 组织实施（二）: a sub-chapter heading after the part heading.
      return part.slice(start + 1).some((l) => l.startsWith(`（${n}）`));
    };

    let checked = 0;
    for (const e of directory) {
      if (e.source === NATIONAL_HOTLINE_SOURCE) continue;
      expect(e.source, e.id).toMatch(/^《济源示范区(妇女|儿童)发展规划（2021—2030年）》/);
      let plan: "妇女" | "儿童" = "妇女";
      for (const segment of e.source.split("；")) {
        const title = /^《济源示范区(妇女|儿童)发展规划（2021—2030年）》/.exec(segment);
        if (title) plan = title[1] as "妇女" | "儿童";
        const body = segment.replace(/^《[^》]+》/, "");
        const m = /^([^·（]+?)(?:·(主要目标|策略措施))?((?:（[\d一二三四五六七八九十]+）)+)$/.exec(body);
        expect(m, `${e.id}: ${segment}`).not.toBeNull();
        if (!m) continue;
        const [, chapter, section, numbers] = m;
        for (const [, n] of (numbers as string).matchAll(/（([\d一二三四五六七八九十]+)）/g)) {
          expect(clauseExists(plan, chapter as string, section, n as string), `${e.id}: ${plan} ${segment}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

// ---------------------------------------------------------------------------

describe("bad files stop loading with a precise error", () => {
  it("names file, entry, id and field of a bad phone", () => {
    const dir = knowledgeDir({
      "directory/district.yaml":
        entryYaml({ id: "a" }) +
        entryYaml({ id: "b" }) +
        entryYaml({ id: "x", phone: "12-34", ...VERIFIED }) +
        entryYaml({ id: "d" }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    const file = path.join(dir, "directory", "district.yaml");
    expect(err.message).toContain(`${file}: entry 3 (id "x", line `);
    expect(err.message).toMatch(/entry 3 \(id "x", line \d+\): phone: 号码格式不正确/);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file, entry: 3, id: "x", field: "phone" });
  });

  it("points at the line of the field", () => {
    const dir = knowledgeDir({
      "directory/district.yaml": entryYaml({ id: "a" }) + entryYaml({ id: "b", category: "shop" }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    // entryYaml writes 14 lines: entry 2 starts on line 15 and category is its third line.
    expect(err.issues[0]).toMatchObject({ entry: 2, id: "b", field: "category", line: 17 });
    expect(err.message).toContain("未知类别");
  });

  it("refuses a phone on an unverified entry (truth in data)", () => {
    const dir = knowledgeDir({ "directory/district.yaml": entryYaml({ id: "p", phone: "0391-6612345" }) });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toMatch(/entry 1 \(id "p", line \d+\): phone: 未核实的条目/);
  });

  it("requires verifier and date on a verified local entry", () => {
    const dir = knowledgeDir({
      "directory/district.yaml": entryYaml({ id: "v", phone: "0391-6612345", verified: true }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.issues.map((i) => i.field).sort()).toEqual(["verifiedAt", "verifiedBy"]);
  });

  it("suggests the canonical name for an area alias and rejects unknown areas", () => {
    const dir = knowledgeDir({
      "directory/areas/x.yaml": entryYaml({ id: "q", area: "沁园" }) + entryYaml({ id: "r", area: "郑州" }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toMatch(/entry 1 \(id "q", line \d+\): area: "沁园" 不是规范名称，请写作 "沁园街道"/);
    expect(err.message).toMatch(/entry 2 \(id "r", line \d+\): area: 未知的街道\/镇 "郑州"/);
  });

  it("names a missing field and an unknown field", () => {
    const missing = entryYaml({ id: "m" }).replace(/ {2}description: .*\n/, "");
    const dir = knowledgeDir({
      "directory/district.yaml": missing + entryYaml({ id: "u", telephone: "110" } as never),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toMatch(/entry 1 \(id "m", line \d+\): description: 缺少必填字段/);
    expect(err.message).toMatch(/entry 2 \(id "u", line \d+\): telephone: 未知字段/);
  });

  it("rejects an id used twice, naming both files", () => {
    const dir = knowledgeDir({
      "directory/district.yaml": entryYaml({ id: "same" }),
      "directory/areas/kejing.yaml": entryYaml({ id: "other" }) + entryYaml({ id: "same" }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toMatch(
      /kejing\.yaml: entry 2 \(id "same", line \d+\): id: id 重复：已在 .*district\.yaml 第 1 条使用/,
    );
    expect(err.message).toContain(path.join(dir, "directory", "areas", "kejing.yaml"));
    expect(err.message).toContain(path.join(dir, "directory", "district.yaml"));
  });

  it("names the line of a YAML syntax error", () => {
    const dir = knowledgeDir({
      // entryYaml writes 14 lines, so the bad line is 16.
      "directory/district.yaml": `${entryYaml({ id: "ok" })}- id: broken\n  name: x: y\n  category: other\n`,
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toBe(
      `${path.join(dir, "directory", "district.yaml")}: line 16: YAML syntax error (line 16, column 9): Nested mappings are not allowed in compact mappings`,
    );
    expect(err.issues[0]?.line).toBe(16);
  });

  it("names the line of a duplicate key", () => {
    const dir = knowledgeDir({ "directory/district.yaml": "- id: a\n  name: 甲\n  name: 乙\n" });
    expect(() => loadDirectory({ knowledgeDir: dir })).toThrow(
      /district\.yaml: line 3: YAML syntax error \(line 3, column 3\): Map keys must be unique/,
    );
  });

  it("rejects a file that is not a list", () => {
    const dir = knowledgeDir({ "directory/district.yaml": "id: not-a-list\n" });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toContain("顶层应为条目列表");
  });

  it("rejects an alias shared by two areas", () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "areas.yaml"),
      "- name: 沁园街道\n  kind: subdistrict\n  aliases: [沁园]\n- name: 济水街道\n  kind: subdistrict\n  aliases: [沁园]\n",
    );
    const err = directoryError(() => loadAreas(dir));
    expect(err.message).toMatch(/areas\.yaml: entry 2 \(line 6\): aliases: "沁园" 已被 "沁园街道" 使用/);
  });

  it("names the overrides file, entry and field of a bad override", () => {
    const dir = knowledgeDir({
      "directory/district.yaml": entryYaml({ id: "a" }),
      "directory/local-overrides.yaml": "[]\n",
    });
    expect(loadDirectory({ knowledgeDir: dir }).map((e) => e.id)).toEqual(["a"]);
    const overrides = path.join(dir, "bad-overrides.yaml");
    writeFileSync(overrides, '- id: a\n  phone: "0391-6612345"\n');
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir, overridesFile: overrides }));
    expect(err.message).toMatch(/bad-overrides\.yaml: entry 1 \(id "a", line 2\): phone: 未核实的条目/);
  });

  it("applies a good overrides file last", () => {
    const dir = knowledgeDir({
      "directory/district.yaml": entryYaml({ id: "a" }) + entryYaml({ id: "b" }),
      "directory/local-overrides.yaml": `- id: b\n  phone: "0391-6612345"\n  verified: true\n  verifiedBy: 测试员\n  verifiedAt: "2026-11-20"\n${entryYaml({ id: "c" })}`,
    });
    const loaded = loadDirectory({ knowledgeDir: dir });
    expect(loaded.map((e) => e.id)).toEqual(["a", "b", "c"]);
    expect(loaded[1]).toMatchObject({ id: "b", phone: "0391-6612345", verified: true, name: "测试服务点" });
  });
});

// ---------------------------------------------------------------------------

describe("phone numbers", () => {
  it.each([
    ["110", true],
    ["12338", true],
    ["0391-6612345", true],
    ["03916612345", true],
    ["0391-66123456转123", true],
    ["13800138000", true],
    ["400-123-4567", true],
    ["12338、0391-6612345", true],
    ["12-34", false],
    ["6612345", false],
    ["0391 6612345", false],
    ["1380013800", false],
    ["电话", false],
  ])("%s → %s", (phone, ok) => {
    expect(isValidPhone(phone)).toBe(ok);
  });
});

describe("parseCsv (RFC 4180)", () => {
  it.each<[string, string, string[][]]>([
    [
      "simple",
      "a,b,c\n1,2,3\n",
      [
        ["a", "b", "c"],
        ["1", "2", "3"],
      ],
    ],
    [
      "no final newline",
      "a,b\n1,2",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "CRLF",
      "a,b\r\n1,2\r\n",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "BOM",
      "\uFEFFid,name\r\nx,沁园\r\n",
      [
        ["id", "name"],
        ["x", "沁园"],
      ],
    ],
    [
      "comma inside quotes",
      'a,b\n"x, y",z\n',
      [
        ["a", "b"],
        ["x, y", "z"],
      ],
    ],
    ["escaped quotes", 'a\n"他说""你好"""\n', [["a"], ['他说"你好"']]],
    [
      "line break inside quotes",
      'a,b\n"第一行\r\n第二行",z\n',
      [
        ["a", "b"],
        ["第一行\r\n第二行", "z"],
      ],
    ],
    [
      "empty fields",
      "a,b,c\n,,\n",
      [
        ["a", "b", "c"],
        ["", "", ""],
      ],
    ],
    [
      "empty quoted field",
      'a,b\n"",x\n',
      [
        ["a", "b"],
        ["", "x"],
      ],
    ],
    ["blank lines skipped", "a\n\n1\n\n", [["a"], ["1"]]],
    ["spaces kept", "a, b \n", [["a", " b "]]],
    [
      "Chinese and full-width comma",
      "名称,说明\n儿童之家，社区,好\n",
      [
        ["名称", "说明"],
        ["儿童之家，社区", "好"],
      ],
    ],
  ])("%s", (_name, input, expected) => {
    expect(parseCsv(input)).toEqual(expected);
  });

  it.each([
    ["unclosed quote", 'a\n"abc\n', /line 2: 引号没有闭合/],
    ["text after closing quote", 'a\n"abc"d\n', /line 2: 结尾引号后面/],
    ["quote in unquoted field", 'a\nab"c\n', /line 2: 未加引号的字段中不能出现/],
  ])("%s is an error with its line", (_name, input, message) => {
    expect(() => parseCsv(input)).toThrow(message);
  });
});

describe("parseDirectoryCsv", () => {
  const areas = loadAreas();

  it("reads only the filled cells, splitting keywords on | and 、", () => {
    const csv =
      "\uFEFFid,phone,keywords,verified,verifiedBy,verifiedAt,area\r\n" +
      "qinyuan-children-home,0391-6612345,儿童之家|活动室、亲子,是,沁园街道办事处,2026-11-20,沁园街道\r\n" +
      "kejing-children-home,,,,,,\r\n";
    expect(parseDirectoryCsv(csv, { areas })).toEqual([
      {
        id: "qinyuan-children-home",
        phone: "0391-6612345",
        keywords: ["儿童之家", "活动室", "亲子"],
        verified: true,
        verifiedBy: "沁园街道办事处",
        verifiedAt: "2026-11-20",
        area: "沁园街道",
      },
      { id: "kejing-children-home" },
    ]);
  });

  it("names file, row, id, line and field of a bad cell", () => {
    const csv = "id,phone\r\nok-one,110\r\nbad-one,12-34\r\n";
    const err = directoryError(() => parseDirectoryCsv(csv, { areas, label: "local.csv" }));
    expect(err.message).toMatch(/^local\.csv: entry 2 \(id "bad-one", line 3\): phone: 号码格式不正确/);
  });

  it("names bad verified values, dates and area aliases", () => {
    const csv = "id,verified,verifiedAt,area\nx,maybe,2026/11/20,克井\n";
    const err = directoryError(() => parseDirectoryCsv(csv, { areas, label: "f.csv" }));
    expect(err.issues.map((i) => i.field).sort()).toEqual(["area", "verified", "verifiedAt"]);
    expect(err.message).toContain('"克井" 不是规范名称，请写作 "克井镇"');
  });

  it("rejects unknown or duplicate columns and a missing id column", () => {
    expect(() => parseDirectoryCsv("id,电话\nx,110\n", { label: "f.csv" })).toThrow(
      /f\.csv: line 1: 电话: 表头中有未知列名/,
    );
    expect(() => parseDirectoryCsv("id,phone,phone\nx,110,120\n")).toThrow(/phone: 表头中列名重复/);
    expect(() => parseDirectoryCsv("name\n测试\n")).toThrow(/id: 表头缺少 id 列/);
  });

  it("rejects a row with the wrong number of cells", () => {
    expect(() => parseDirectoryCsv("id,name\nx,沁园,街道\n", { label: "f.csv" })).toThrow(
      /f\.csv: entry 1 \(id "x", line 2\): 这一行有 3 列，表头有 2 列/,
    );
  });

  it("reports a CSV syntax error with its line", () => {
    expect(() => parseDirectoryCsv('id,name\nx,"open\n', { label: "f.csv" })).toThrow(
      /f\.csv: line 2: CSV 格式错误：引号没有闭合/,
    );
  });
});

describe("mergeDirectory", () => {
  const defaults = [entry({ id: "a", name: "甲" }), entry({ id: "b", name: "乙", keywords: ["乙"] })];

  it("replaces only the fields an override gives", () => {
    const merged = mergeDirectory(defaults, [{ id: "b", phone: "0391-6612345", ...VERIFIED }]);
    expect(merged[1]).toEqual({ ...defaults[1], phone: "0391-6612345", ...VERIFIED });
    expect(merged[0]).toEqual(defaults[0]);
  });

  it("adds an entry for a new id, defaulting what it leaves out", () => {
    const merged = mergeDirectory(defaults, [
      { id: "c", name: "丙", category: "childcare", description: "新增", source: "镇政府公告" },
    ]);
    expect(merged.map((e) => e.id)).toEqual(["a", "b", "c"]);
    expect(merged[2]).toEqual(
      entry({ id: "c", name: "丙", category: "childcare", description: "新增", source: "镇政府公告", keywords: [] }),
    );
  });

  it("lets a later override for the same id win, and does not modify its inputs", () => {
    const before = JSON.stringify(defaults);
    const merged = mergeDirectory(defaults, [
      { id: "a", name: "甲一" },
      { id: "a", name: "甲二", keywords: ["新"] },
    ]);
    expect(merged[0]).toMatchObject({ name: "甲二", keywords: ["新"] });
    expect(JSON.stringify(defaults)).toBe(before);
  });

  it("validates the merged result", () => {
    const err = directoryError(() =>
      mergeDirectory(
        defaults,
        [
          { id: "a", phone: "0391-6612345" },
          { id: "new-one", name: "丁" },
        ],
        { label: "in.csv" },
      ),
    );
    expect(err.message).toMatch(/in\.csv: entry 1 \(id "a"\): phone: 未核实的条目/);
    expect(err.message).toMatch(/in\.csv: entry 2 \(id "new-one"\): category: 这是新条目/);
  });

  it("checks areas against areas.yaml when given", () => {
    const areas = loadAreas();
    expect(mergeDirectory(defaults, [{ id: "a", area: "梨林镇" }], { areas })[0]?.area).toBe("梨林镇");
    expect(() => mergeDirectory(defaults, [{ id: "a", area: "梨林" }], { areas })).toThrow(/请写作 "梨林镇"/);
  });

  it("rejects duplicate ids in the defaults", () => {
    expect(() => mergeDirectory([...defaults, entry({ id: "a" })], [])).toThrow(
      /defaults: entry 3 \(id "a"\): id: id 重复/,
    );
  });

  it("combines overrides for the same id field by field", () => {
    expect(
      combineOverrides(
        [
          { id: "a", phone: "110" },
          { id: "b", name: "乙" },
        ],
        [{ id: "a", hours: "9:00-17:00" }, { id: "c" }],
      ),
    ).toEqual([{ id: "a", phone: "110", hours: "9:00-17:00" }, { id: "b", name: "乙" }, { id: "c" }]);
  });

  it("keeps only the fields that change anything", () => {
    expect(
      minimizeOverrides(defaults, [
        { id: "a", name: "甲", keywords: ["测试"] },
        { id: "b", name: "乙二", keywords: ["乙"] },
        { id: "b", name: "乙二" },
        { id: "c", name: "丙", category: "other", description: "x", source: "y" },
      ]),
    ).toEqual([
      { id: "b", name: "乙二" },
      { id: "c", name: "丙", category: "other", description: "x", source: "y" },
    ]);
  });

  it("diffs two directories", () => {
    const after = mergeDirectory(defaults, [
      { id: "a", name: "甲一" },
      { id: "c", name: "丙", category: "other", description: "x", source: "y" },
    ]);
    expect(diffDirectory(defaults, after)).toEqual([
      { id: "a", kind: "changed", fields: [{ field: "name", before: "甲", after: "甲一" }] },
      { id: "c", kind: "added", fields: [] },
    ]);
  });
});

describe("CSV export → import round trip", () => {
  it("reproduces the real directory unchanged", () => {
    const directory = loadDirectory();
    const areas = loadAreas();
    const csv = directoryToCsv(directory);
    expect(csv.startsWith("\uFEFFid,name,category,area,phone,")).toBe(true);
    const parsed = parseDirectoryCsv(csv, { areas });
    expect(mergeDirectory([], parsed, { areas })).toEqual(directory);
    expect(mergeDirectory(directory, parsed, { areas })).toEqual(directory);
  });

  it("keeps commas, quotes, line breaks and verified data intact", () => {
    const tricky = [
      entry({
        id: "tricky",
        name: '名称, 带"引号"',
        description: "第一行\r\n第二行，还有, 逗号",
        howToReach: '先打电话，再说"你好"',
        keywords: ["a b", "c"],
        phone: "0391-6612345",
        address: "某路1号, 2楼",
        hours: "周一至周五 8:30-12:00, 14:30-17:30",
        ...VERIFIED,
      }),
      entry({ id: "plain", keywords: [] }),
    ];
    const csv = directoryToCsv(tricky, { bom: false });
    expect(mergeDirectory([], parseDirectoryCsv(csv))).toEqual(tricky);
  });
});

describe("scripts/import-directory.ts", () => {
  function run(args: string[]): { code: number; out: string; err: string } {
    let out = "";
    let err = "";
    const code = runImport(args, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  it("merges a valid CSV into local-overrides.yaml and reports the change", () => {
    const dir = copyOfRealKnowledge();
    const csv = path.join(dir, "verified.csv");
    writeFileSync(
      csv,
      "\uFEFFid,phone,hours,verified,verifiedBy,verifiedAt\r\nkejing-social-work-station,0391-6612345,周一至周五 8:30-17:30,true,克井镇人民政府（电话核实）,2026-11-20\r\n",
    );
    const result = run([csv, "--knowledge-dir", dir]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain("~ 修改 kejing-social-work-station");
    expect(result.out).toContain("phone: （空） → 0391-6612345");

    const overridesText = readFileSync(path.join(dir, "directory", "local-overrides.yaml"), "utf8");
    expect(overridesText).toContain("# 本地核实数据覆盖文件");
    const loaded = loadDirectory({ knowledgeDir: dir });
    expect(loaded.find((e) => e.id === "kejing-social-work-station")).toMatchObject({
      phone: "0391-6612345",
      hours: "周一至周五 8:30-17:30",
      verified: true,
      verifiedBy: "克井镇人民政府（电话核实）",
    });

    // Only the imported fields are kept, not copies of the defaults.
    expect(overridesText).not.toContain("name:");
    // Importing the same file again changes nothing.
    expect(run([csv, "--knowledge-dir", dir]).out).toContain("目录没有变化");
    expect(readFileSync(path.join(dir, "directory", "local-overrides.yaml"), "utf8")).toBe(overridesText);
  });

  it("exports the directory as CSV that re-imports as a no-op", () => {
    const dir = copyOfRealKnowledge();
    const overridesPath = path.join(dir, "directory", "local-overrides.yaml");
    const before = readFileSync(overridesPath, "utf8");
    const csv = path.join(dir, "export.csv");
    const exported = run(["--export", csv, "--knowledge-dir", dir]);
    expect(exported.code).toBe(0);
    expect(readFileSync(csv, "utf8")).toBe(directoryToCsv(loadDirectory({ knowledgeDir: dir })));
    const reimported = run([csv, "--knowledge-dir", dir]);
    expect(reimported.code).toBe(0);
    expect(reimported.out).toContain("目录没有变化");
    expect(readFileSync(overridesPath, "utf8")).toBe(before);
  });

  it("exits 1 on a bad file and changes nothing", () => {
    const dir = copyOfRealKnowledge();
    const overridesPath = path.join(dir, "directory", "local-overrides.yaml");
    const before = readFileSync(overridesPath, "utf8");
    const csv = path.join(dir, "bad.csv");
    writeFileSync(csv, "id,phone\nkejing-social-work-station,0391-6612345\n");
    const result = run([csv, "--knowledge-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${csv}: entry 1 (id "kejing-social-work-station", line 2): phone: 未核实的条目`);
    expect(readFileSync(overridesPath, "utf8")).toBe(before);
  });

  it("imports YAML too, and --dry-run writes nothing", () => {
    const dir = copyOfRealKnowledge();
    const overridesPath = path.join(dir, "directory", "local-overrides.yaml");
    const before = readFileSync(overridesPath, "utf8");
    const yaml = path.join(dir, "new.yaml");
    writeFileSync(
      yaml,
      "- id: lilin-extra\n  name: 梨林镇新增服务点\n  category: other\n  area: 梨林镇\n  description: 测试\n  source: 梨林镇人民政府通知\n",
    );
    const result = run([yaml, "--knowledge-dir", dir, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("+ 新增 lilin-extra");
    expect(readFileSync(overridesPath, "utf8")).toBe(before);
  });

  it("prints usage for missing arguments", () => {
    const result = run([]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("用法");
  });
});

describe("error wording", () => {
  it("hints at quotes for an unquoted number and reports an empty field once", () => {
    const dir = knowledgeDir({
      "directory/district.yaml":
        entryYaml({ id: "n", phone: 12338, verified: true, source: "国家统一热线" }) +
        entryYaml({ id: "e", name: "  " }),
    });
    const err = directoryError(() => loadDirectory({ knowledgeDir: dir }));
    expect(err.message).toMatch(/entry 1 \(id "n", line 5\): phone: 应为文字（实际为数字 12338；YAML 中号码等请加引号/);
    expect(err.issues.filter((i) => i.id === "e").map((i) => `${i.field}: ${i.message}`)).toEqual(["name: 不能为空"]);
  });
});
