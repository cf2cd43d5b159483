/**
 * Zod schemas for the service directory (`knowledge/areas.yaml`,
 * `knowledge/directory/**`) and the error type every directory problem is
 * reported with. Pure: no I/O, shared by the loader, the import functions and
 * the admin CLI.
 *
 * The rule the schemas enforce above all: truth in data. An entry that is not
 * verified (`verified: false`) may not carry a phone number, address or
 * opening hours; a verified local entry must say who verified it and when.
 */

import { z } from "zod";
import type { AreaDef, ServiceCategory, ServiceEntry } from "./knowledge-types.ts";

/** `source` of the national hotlines; they are national facts and need no local verifier. */
export const NATIONAL_HOTLINE_SOURCE = "国家统一热线";

// A Record keyed by the union makes the list exhaustive and free of extras at compile time.
const CATEGORY_SET: Record<ServiceCategory, true> = {
  hotline: true,
  parent_school: true,
  family_education_station: true,
  family_education_center: true,
  children_home: true,
  children_director: true,
  women_home: true,
  public_legal_service: true,
  legal_aid: true,
  minor_rescue_protection: true,
  marriage_mediation: true,
  emergency_shelter: true,
  maternal_child_health: true,
  childcare: true,
  social_work_station: true,
  minor_protection_station: true,
  women_federation: true,
  other: true,
};

export const SERVICE_CATEGORIES = Object.keys(CATEGORY_SET) as ServiceCategory[];

/** Field order of an entry; also the CSV column order. */
export const SERVICE_ENTRY_FIELDS = [
  "id",
  "name",
  "category",
  "area",
  "phone",
  "address",
  "hours",
  "description",
  "howToReach",
  "keywords",
  "source",
  "verified",
  "verifiedAt",
  "verifiedBy",
] as const satisfies readonly (keyof ServiceEntry)[];

/** An entry's fields as an override gives them: `id` plus any subset of the rest. */
export type ServiceEntryOverride = { id: string } & Partial<Omit<ServiceEntry, "id">>;

// ---------------------------------------------------------------------------
// Errors

export interface DirectoryIssue {
  /** File (or label, e.g. "overrides") the problem is in, as shown to the admin. */
  file: string;
  /** 1-based position of the entry in its list (CSV: data row, header not counted). */
  entry?: number;
  id?: string;
  /** 1-based line in the file, where known. */
  line?: number;
  /** Field at fault, e.g. "phone" or "keywords[2]". */
  field?: string;
  message: string;
}

export function formatDirectoryIssue(issue: DirectoryIssue): string {
  let where = issue.file;
  if (issue.entry !== undefined) {
    const details: string[] = [];
    if (issue.id !== undefined) details.push(`id ${JSON.stringify(issue.id)}`);
    if (issue.line !== undefined) details.push(`line ${issue.line}`);
    where += `: entry ${issue.entry}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
  } else if (issue.line !== undefined) {
    where += `: line ${issue.line}`;
  }
  return `${where}: ${issue.field !== undefined ? `${issue.field}: ` : ""}${issue.message}`;
}

/** Any problem in the directory data. The message names file, entry, id and field of each issue, one per line. */
export class DirectoryError extends Error {
  readonly issues: readonly DirectoryIssue[];
  constructor(issues: readonly DirectoryIssue[]) {
    super(issues.map(formatDirectoryIssue).join("\n"));
    this.name = "DirectoryError";
    this.issues = issues;
  }
}

// ---------------------------------------------------------------------------
// Field schemas

const text = () => z.string({ error: "应为文字" }).trim().min(1, { error: "不能为空", abort: true });
const nullableText = () => text().nullable();

/** 110 / 120 / 12338 …, mobiles, landlines with area code (0391-1234567, optional extension), 400/800 numbers. */
const PHONE_PATTERNS: readonly RegExp[] = [
  /^1\d{2}$/,
  /^1\d{4}$/,
  /^1[3-9]\d{9}$/,
  /^0\d{2,3}-?\d{7,8}(?:(?:-|转)\d{1,6})?$/,
  /^[48]00-?\d{3}-?\d{4}$/,
];

export function isValidPhone(value: string): boolean {
  return value.split(/\s*[、；;]\s*/).every((part) => PHONE_PATTERNS.some((re) => re.test(part)));
}

const phone = () =>
  text()
    .refine(isValidPhone, {
      error: (issue) =>
        `号码格式不正确：${JSON.stringify(issue.input)}（应为全国短号码如 12338、带区号的固话如 0391-1234567、11 位手机号或 400 号码；多个号码用“、”分隔）`,
    })
    .nullable();

const isoDate = () =>
  z
    .string({ error: "应为日期文字，格式 YYYY-MM-DD" })
    .trim()
    .refine(isIsoDate, {
      error: (issue) => `日期不正确：${JSON.stringify(issue.input)}（应为 YYYY-MM-DD 格式的有效日期，例如 2026-11-29）`,
    })
    .nullable();

/** `YYYY-MM-DD` naming a real calendar day. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}

const keyword = () =>
  text().refine((v) => !/[|、]/.test(v), {
    error: (issue) => `关键词 ${JSON.stringify(issue.input)} 不能含有“|”或“、”（它们是 CSV 中关键词的分隔符）`,
  });

const id = () =>
  z
    .string({ error: "应为文字" })
    .trim()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: "只能用小写字母、数字和连字符，例如 qinyuan-children-home" });

const category = () =>
  z.enum(SERVICE_CATEGORIES as [ServiceCategory, ...ServiceCategory[]], {
    error: (issue) => `未知类别 ${JSON.stringify(issue.input)}，可选：${SERVICE_CATEGORIES.join(", ")}`,
  });

export interface DirectorySchemaOptions {
  /**
   * The areas of `knowledge/areas.yaml`. When given, `area` must be one of
   * their canonical names (an alias is rejected with the canonical name
   * suggested). When omitted, `area` is only checked to be text or null.
   */
  areas?: readonly AreaDef[];
}

function areaField(options: DirectorySchemaOptions) {
  const areas = options.areas;
  if (!areas) return nullableText();
  const names = new Set(areas.map((a) => a.name));
  return text()
    .superRefine((value, ctx) => {
      if (names.has(value)) return;
      const byAlias = areas.find((a) => a.aliases.includes(value));
      ctx.addIssue({
        code: "custom",
        message: byAlias
          ? `${JSON.stringify(value)} 不是规范名称，请写作 ${JSON.stringify(byAlias.name)}`
          : `未知的街道/镇 ${JSON.stringify(value)}，应为 knowledge/areas.yaml 中的名称之一：${[...names].join("、")}`,
      });
    })
    .nullable();
}

function entryShape(options: DirectorySchemaOptions) {
  return {
    id: id(),
    name: text(),
    category: category(),
    area: areaField(options),
    phone: phone(),
    address: nullableText(),
    hours: nullableText(),
    description: text(),
    howToReach: nullableText(),
    keywords: z.array(keyword(), { error: "应为关键词列表" }),
    source: text(),
    verified: z.boolean({ error: "应为 true 或 false" }),
    verifiedAt: isoDate(),
    verifiedBy: nullableText(),
  };
}

/** Cross-field rules of a complete entry (the truth-in-data rule). */
function checkEntryRules(entry: ServiceEntry, ctx: z.RefinementCtx): void {
  if (!entry.verified) {
    const labels = { phone: "电话", address: "地址", hours: "开放时间" } as const;
    for (const field of ["phone", "address", "hours"] as const) {
      if (entry[field] !== null) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `未核实的条目（verified: false）不得填写${labels[field]}；如已向该机构核实，请同时填写 verified: true、verifiedBy 和 verifiedAt`,
        });
      }
    }
    for (const field of ["verifiedAt", "verifiedBy"] as const) {
      if (entry[field] !== null) {
        ctx.addIssue({ code: "custom", path: [field], message: "未核实的条目（verified: false）应为空（null）" });
      }
    }
  } else if (entry.source !== NATIONAL_HOTLINE_SOURCE) {
    if (entry.verifiedBy === null) {
      ctx.addIssue({ code: "custom", path: ["verifiedBy"], message: "已核实的条目必须写明核实人/单位" });
    }
    if (entry.verifiedAt === null) {
      ctx.addIssue({ code: "custom", path: ["verifiedAt"], message: "已核实的条目必须写明核实日期（YYYY-MM-DD）" });
    }
  }
  if (entry.category === "hotline" && entry.verified && entry.phone === null) {
    ctx.addIssue({ code: "custom", path: ["phone"], message: "已核实的热线必须有号码" });
  }
}

/** A complete, valid directory entry. */
export function serviceEntrySchema(options: DirectorySchemaOptions = {}): z.ZodType<ServiceEntry> {
  return z.strictObject(entryShape(options)).superRefine(checkEntryRules);
}

/**
 * An override: `id` plus any subset of the other fields, each checked like in
 * a complete entry. Cross-field rules are checked on the merged entry.
 */
export function serviceEntryOverrideSchema(options: DirectorySchemaOptions = {}): z.ZodType<ServiceEntryOverride> {
  const { id: idField, ...rest } = entryShape(options);
  return z.strictObject({ id: idField, ...rest }).partial({
    name: true,
    category: true,
    area: true,
    phone: true,
    address: true,
    hours: true,
    description: true,
    howToReach: true,
    keywords: true,
    source: true,
    verified: true,
    verifiedAt: true,
    verifiedBy: true,
  }) as z.ZodType<ServiceEntryOverride>;
}

export const areaDefSchema: z.ZodType<AreaDef> = z.strictObject({
  name: text().regex(/(街道|镇)$/, { error: "规范名称应以“街道”或“镇”结尾，例如 沁园街道、克井镇" }),
  kind: z.enum(["subdistrict", "town"], { error: "应为 subdistrict（街道）或 town（镇）" }),
  aliases: z.array(text(), { error: "应为别名列表" }),
});

// ---------------------------------------------------------------------------
// Issue formatting

/** `["keywords", 2]` → `keywords[2]`; the empty path → undefined. */
export function formatPath(path: readonly PropertyKey[]): string | undefined {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? undefined : out;
}

function describeType(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "列表";
  return typeof input;
}

/**
 * A zod issue as field + message, with our own wording for the common cases so
 * messages do not depend on the global zod locale.
 */
export function describeZodIssue(issue: z.core.$ZodIssue): { field?: string; message: string } {
  const field = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const keys = issue.keys;
      return {
        field: formatPath([...issue.path, keys[0] ?? ""]),
        message: `未知字段 ${keys.map((k) => JSON.stringify(k)).join("、")}，可用字段：${SERVICE_ENTRY_FIELDS.join(", ")}`,
      };
    }
    case "invalid_type": {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return { field, message: "缺少必填字段" };
      if (typeof input === "number" && issue.expected === "string") {
        return { field, message: `${issue.message}（实际为数字 ${input}；YAML 中号码等请加引号，例如 "${input}"）` };
      }
      return { field, message: `${issue.message}（实际为 ${describeType(input)}）` };
    }
    default:
      return { field, message: issue.message };
  }
}

/** All issues of a failed parse, tagged with where they come from. */
export function zodIssuesToDirectoryIssues(
  error: z.ZodError,
  where: Omit<DirectoryIssue, "field" | "message">,
  lineOf?: (field: string | undefined) => number | undefined,
): DirectoryIssue[] {
  return error.issues.map((issue) => {
    const { field, message } = describeZodIssue(issue);
    const line = lineOf?.(field) ?? where.line;
    return { ...where, ...(line !== undefined ? { line } : {}), ...(field !== undefined ? { field } : {}), message };
  });
}

/** `id` of a raw entry if it has a usable one, for error messages. */
export function rawEntryId(raw: unknown): string | undefined {
  if (raw && typeof raw === "object" && "id" in raw) {
    const value = (raw as { id: unknown }).id;
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}
