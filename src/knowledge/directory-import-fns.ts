/**
 * Importing verified local data into the service directory: CSV parsing
 * (RFC 4180), CSV export, merging overrides onto the defaults and describing
 * what changed. Pure: no I/O; the loader and `scripts/import-directory.ts` do
 * the reading and writing.
 */

import {
  DirectoryError,
  type DirectoryIssue,
  rawEntryId,
  SERVICE_ENTRY_FIELDS,
  type ServiceEntryOverride,
  serviceEntryOverrideSchema,
  serviceEntrySchema,
  zodIssuesToDirectoryIssues,
} from "./directory-schema.ts";
import type { AreaDef, ServiceEntry } from "./knowledge-types.ts";

// ---------------------------------------------------------------------------
// CSV (RFC 4180)

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  cells: string[];
}

/** A CSV syntax problem, with the 1-based line it was found on. */
export class CsvSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = "CsvSyntaxError";
    this.line = line;
  }
}

/**
 * Parses CSV text into records. Follows RFC 4180: fields separated by commas,
 * records by CRLF (LF or a lone CR are accepted too); a field in double quotes
 * may contain commas, line breaks and `""` for a quote. A leading UTF-8 BOM is
 * dropped, a final line break does not make an empty record, and blank lines
 * are skipped. Cells are returned as written (not trimmed).
 */
export function parseCsvRecords(input: string): CsvRecord[] {
  const textIn = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = textIn.length;

  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = "";
    let endOfRecord = false;
    let fieldStart = true;

    while (i < n && !endOfRecord) {
      const ch = textIn[i] as string;
      if (fieldStart && ch === '"') {
        // Quoted field.
        i++;
        let closed = false;
        while (i < n) {
          const c = textIn[i] as string;
          if (c === '"') {
            if (textIn[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === "\r" && textIn[i + 1] === "\n") {
            cell += "\r\n";
            i += 2;
            line++;
            continue;
          }
          if (c === "\n" || c === "\r") line++;
          cell += c;
          i++;
        }
        if (!closed) throw new CsvSyntaxError('引号没有闭合（以 " 开始的字段缺少结尾的 "）', startLine);
        const next = textIn[i];
        if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
          throw new CsvSyntaxError(`结尾引号后面应为逗号或换行，实际为 ${JSON.stringify(next)}`, line);
        }
        fieldStart = false;
        continue;
      }
      if (ch === ",") {
        cells.push(cell);
        cell = "";
        fieldStart = true;
        i++;
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        i += ch === "\r" && textIn[i + 1] === "\n" ? 2 : 1;
        line++;
        endOfRecord = true;
        continue;
      }
      if (ch === '"') {
        throw new CsvSyntaxError('未加引号的字段中不能出现 "；含引号的内容请整个字段加引号并把 " 写作 ""', line);
      }
      cell += ch;
      fieldStart = false;
      i++;
    }
    cells.push(cell);
    const blank = cells.length === 1 && cells[0] === "";
    if (!blank) records.push({ line: startLine, cells });
  }
  return records;
}

/** Parses CSV text into rows of cells (see {@link parseCsvRecords}). */
export function parseCsv(input: string): string[][] {
  return parseCsvRecords(input).map((r) => r.cells);
}

function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Serialises rows as RFC 4180 CSV (CRLF line ends, quoting only where needed). */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}

// ---------------------------------------------------------------------------
// Directory CSV

/** Separators of the `keywords` cell. */
const KEYWORD_SEPARATOR = /[|、]/;

const TRUE_WORDS = new Set(["true", "yes", "y", "1", "是", "已核实"]);
const FALSE_WORDS = new Set(["false", "no", "n", "0", "否", "未核实"]);

export interface ParseDirectoryCsvOptions {
  /** Areas of `knowledge/areas.yaml`; when given, `area` cells must be canonical names. */
  areas?: readonly AreaDef[];
  /** File name used in error messages. */
  label?: string;
}

export interface ParsedDirectoryCsv {
  overrides: ServiceEntryOverride[];
  /** 1-based line each override starts on, same order. */
  lines: number[];
}

/**
 * Parses a directory CSV: a header row naming ServiceEntry fields (any subset,
 * `id` required, any order), then one row per entry. Empty cells mean "not
 * given" and are left out, so an override only replaces the cells it fills in.
 * `keywords` are separated by `|` or `、`; `verified` is true/false (是/否, 1/0).
 * Each row is validated; all problems are thrown together as a DirectoryError.
 */
export function parseDirectoryCsvWithLines(textIn: string, options: ParseDirectoryCsvOptions = {}): ParsedDirectoryCsv {
  const file = options.label ?? "CSV";
  let records: CsvRecord[];
  try {
    records = parseCsvRecords(textIn);
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      throw new DirectoryError([
        { file, line: err.line, message: `CSV 格式错误：${err.message.replace(/^line \d+: /, "")}` },
      ]);
    }
    throw err;
  }
  const header = records[0];
  if (!header)
    throw new DirectoryError([{ file, message: "文件是空的：第一行应为表头（字段名），例如 id,phone,verified" }]);

  const known = new Set<string>(SERVICE_ENTRY_FIELDS);
  const columns = header.cells.map((c) => c.trim());
  const issues: DirectoryIssue[] = [];
  const seen = new Set<string>();
  for (const column of columns) {
    if (!known.has(column)) {
      issues.push({
        file,
        line: header.line,
        field: column === "" ? "(空列名)" : column,
        message: `表头中有未知列名，可用列名：${SERVICE_ENTRY_FIELDS.join(", ")}`,
      });
    } else if (seen.has(column)) {
      issues.push({ file, line: header.line, field: column, message: "表头中列名重复" });
    }
    seen.add(column);
  }
  if (!seen.has("id")) issues.push({ file, line: header.line, field: "id", message: "表头缺少 id 列" });
  if (issues.length > 0) throw new DirectoryError(issues);

  const schema = serviceEntryOverrideSchema({ areas: options.areas });
  const overrides: ServiceEntryOverride[] = [];
  const lines: number[] = [];
  records.slice(1).forEach((record, index) => {
    const entry = index + 1;
    const raw: Record<string, unknown> = {};
    const rowIssues: DirectoryIssue[] = [];
    const idCell = record.cells[columns.indexOf("id")]?.trim();
    const where = { file, entry, line: record.line, ...(idCell ? { id: idCell } : {}) };
    if (record.cells.length !== columns.length) {
      issues.push({
        ...where,
        message: `这一行有 ${record.cells.length} 列，表头有 ${columns.length} 列（含逗号的内容请加英文双引号）`,
      });
      return;
    }
    columns.forEach((column, c) => {
      const cell = (record.cells[c] ?? "").trim();
      if (cell === "") return;
      if (column === "keywords") {
        raw.keywords = cell
          .split(KEYWORD_SEPARATOR)
          .map((k) => k.trim())
          .filter((k) => k !== "");
      } else if (column === "verified") {
        const word = cell.toLowerCase();
        if (TRUE_WORDS.has(word)) raw.verified = true;
        else if (FALSE_WORDS.has(word)) raw.verified = false;
        else
          rowIssues.push({
            ...where,
            field: "verified",
            message: `应为 true 或 false，实际为 ${JSON.stringify(cell)}`,
          });
      } else {
        raw[column] = cell;
      }
    });
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) rowIssues.push(...zodIssuesToDirectoryIssues(parsed.error, where));
    if (rowIssues.length > 0) {
      issues.push(...rowIssues);
      return;
    }
    if (parsed.success) {
      overrides.push(parsed.data);
      lines.push(record.line);
    }
  });
  if (issues.length > 0) throw new DirectoryError(issues);
  return { overrides, lines };
}

/** {@link parseDirectoryCsvWithLines} without the line numbers. */
export function parseDirectoryCsv(textIn: string, options: ParseDirectoryCsvOptions = {}): ServiceEntryOverride[] {
  return parseDirectoryCsvWithLines(textIn, options).overrides;
}

export interface DirectoryToCsvOptions {
  /** Prefix a UTF-8 BOM so spreadsheet programs read the Chinese text correctly. Default true. */
  bom?: boolean;
}

/** Every field of every entry as CSV; `parseDirectoryCsv` reads it back unchanged. */
export function directoryToCsv(entries: readonly ServiceEntry[], options: DirectoryToCsvOptions = {}): string {
  const rows: string[][] = [[...SERVICE_ENTRY_FIELDS]];
  for (const entry of entries) {
    rows.push(
      SERVICE_ENTRY_FIELDS.map((field) => {
        const value = entry[field];
        if (value === null) return "";
        if (Array.isArray(value)) return value.join("|");
        return String(value);
      }),
    );
  }
  return `${options.bom === false ? "" : "\uFEFF"}${toCsv(rows)}`;
}

// ---------------------------------------------------------------------------
// Merging

/** What a new entry gets for the fields its override leaves out. */
const NEW_ENTRY_DEFAULTS: Omit<ServiceEntry, "id" | "name" | "category" | "description" | "source"> = {
  area: null,
  phone: null,
  address: null,
  hours: null,
  howToReach: null,
  keywords: [],
  verified: false,
  verifiedAt: null,
  verifiedBy: null,
};

export interface MergeDirectoryOptions {
  /** Areas of `knowledge/areas.yaml`; when given, `area` must be a canonical name. */
  areas?: readonly AreaDef[];
  /** Name of the overrides in error messages (a file path). Default "overrides". */
  label?: string;
  /** Name of the defaults in error messages. Default "defaults". */
  defaultsLabel?: string;
  /** 1-based line of override `index` (0-based) — or of its `field` — in its file, for error messages. */
  lineOf?: (index: number, field?: string) => number | undefined;
}

function issueAt(
  where: Omit<DirectoryIssue, "field" | "message"> & { override?: number },
): Omit<DirectoryIssue, "field" | "message"> {
  const { override: _override, ...rest } = where;
  return rest;
}

function definedFields(override: ServiceEntryOverride): Partial<ServiceEntry> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(override)) if (value !== undefined) out[key] = value;
  return out as Partial<ServiceEntry>;
}

/**
 * Applies overrides to the defaults. An override whose id exists replaces just
 * the fields it gives; a new id adds an entry (fields it leaves out default to
 * null / [] / not verified). Overrides apply in order, so a later one for the
 * same id wins. The result is validated again as a whole — every entry, the
 * truth-in-data rule and unique ids — and problems are thrown as a
 * DirectoryError naming the override (entry number and id) and the field.
 */
export function mergeDirectory(
  defaults: readonly ServiceEntry[],
  overrides: readonly ServiceEntryOverride[],
  options: MergeDirectoryOptions = {},
): ServiceEntry[] {
  const label = options.label ?? "overrides";
  const defaultsLabel = options.defaultsLabel ?? "defaults";
  const schema = serviceEntrySchema({ areas: options.areas });
  const result: ServiceEntry[] = [];
  const indexById = new Map<string, number>();
  /** Where each result entry was last touched, for error messages (`override`: its 0-based index). */
  const origin: (Omit<DirectoryIssue, "field" | "message"> & { override?: number })[] = [];
  const issues: DirectoryIssue[] = [];

  defaults.forEach((entry, i) => {
    const where = { file: defaultsLabel, entry: i + 1, id: entry.id };
    const known = indexById.get(entry.id);
    if (known !== undefined) {
      issues.push({ ...where, field: "id", message: `id 重复：与 ${defaultsLabel} 第 ${known + 1} 条相同` });
      return;
    }
    indexById.set(entry.id, result.length);
    result.push({ ...entry, keywords: [...entry.keywords] });
    origin.push(where);
  });

  overrides.forEach((override, i) => {
    const line = options.lineOf?.(i);
    const id = rawEntryId(override);
    const where = {
      file: label,
      entry: i + 1,
      override: i,
      ...(id ? { id } : {}),
      ...(line !== undefined ? { line } : {}),
    };
    if (!id) {
      issues.push({ ...issueAt(where), field: "id", message: "缺少 id" });
      return;
    }
    const at = indexById.get(id);
    if (at !== undefined) {
      result[at] = { ...(result[at] as ServiceEntry), ...definedFields(override) };
      origin[at] = where;
      return;
    }
    const missing = (["name", "category", "description", "source"] as const).filter((f) => override[f] === undefined);
    if (missing.length > 0) {
      for (const field of missing) {
        issues.push({
          ...issueAt(where),
          field,
          message: "这是新条目（id 在目录中不存在），必须填写此字段；如要修改已有条目，请检查 id 是否写对",
        });
      }
      return;
    }
    indexById.set(id, result.length);
    result.push({ ...NEW_ENTRY_DEFAULTS, ...definedFields(override) } as ServiceEntry);
    origin.push(where);
  });

  const validated: ServiceEntry[] = [];
  result.forEach((entry, i) => {
    const parsed = schema.safeParse(entry, { reportInput: true });
    if (parsed.success) {
      validated.push(parsed.data);
      return;
    }
    const from = origin[i] ?? { file: label };
    const lineOf =
      from.override !== undefined ? (field?: string) => options.lineOf?.(from.override as number, field) : undefined;
    issues.push(...zodIssuesToDirectoryIssues(parsed.error, issueAt(from), lineOf));
  });
  if (issues.length > 0) throw new DirectoryError(issues);
  return validated;
}

/**
 * Folds new overrides into an existing overrides list (as kept in
 * `local-overrides.yaml`): a record for an id already listed gets the new
 * fields on top of its old ones; a new id is appended. Order is kept.
 */
export function combineOverrides(
  existing: readonly ServiceEntryOverride[],
  incoming: readonly ServiceEntryOverride[],
): ServiceEntryOverride[] {
  const out: ServiceEntryOverride[] = existing.map((o) => ({ ...o }));
  const at = new Map(out.map((o, i) => [o.id, i]));
  for (const override of incoming) {
    const i = at.get(override.id);
    if (i === undefined) {
      at.set(override.id, out.length);
      out.push({ ...definedFields(override), id: override.id });
    } else {
      out[i] = { ...(out[i] as ServiceEntryOverride), ...definedFields(override) };
    }
  }
  return out;
}

/**
 * Drops from `overrides` every field that already has that value in
 * `current` (applied in order), and overrides of existing ids left with no
 * field. New ids keep all their fields. Re-importing an unchanged export thus
 * adds nothing to `local-overrides.yaml`, and defaults the data files later
 * improve are not frozen by copies of their old values.
 */
export function minimizeOverrides(
  current: readonly ServiceEntry[],
  overrides: readonly ServiceEntryOverride[],
): ServiceEntryOverride[] {
  const state = new Map<string, Record<string, unknown>>(current.map((e) => [e.id, { ...e }]));
  const out: ServiceEntryOverride[] = [];
  for (const override of overrides) {
    const fields = definedFields(override) as Record<string, unknown>;
    const known = state.get(override.id);
    if (!known) {
      state.set(override.id, { ...NEW_ENTRY_DEFAULTS, ...fields });
      out.push({ ...fields, id: override.id } as ServiceEntryOverride);
      continue;
    }
    const changed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (key !== "id" && !sameValue(known[key], value)) changed[key] = value;
    }
    if (Object.keys(changed).length === 0) continue;
    Object.assign(known, changed);
    out.push({ id: override.id, ...changed } as ServiceEntryOverride);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Diff

export interface DirectoryChange {
  id: string;
  kind: "added" | "changed" | "removed";
  /** For "changed": the fields whose value differs, with old and new values. */
  fields: { field: keyof ServiceEntry; before: unknown; after: unknown }[];
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What differs between two versions of the directory, by id (order of `after`, then removals). */
export function diffDirectory(before: readonly ServiceEntry[], after: readonly ServiceEntry[]): DirectoryChange[] {
  const old = new Map(before.map((e) => [e.id, e]));
  const changes: DirectoryChange[] = [];
  const seen = new Set<string>();
  for (const entry of after) {
    seen.add(entry.id);
    const prev = old.get(entry.id);
    if (!prev) {
      changes.push({ id: entry.id, kind: "added", fields: [] });
      continue;
    }
    const fields = SERVICE_ENTRY_FIELDS.filter((f) => !sameValue(prev[f], entry[f])).map((field) => ({
      field,
      before: prev[field],
      after: entry[field],
    }));
    if (fields.length > 0) changes.push({ id: entry.id, kind: "changed", fields });
  }
  for (const entry of before) if (!seen.has(entry.id)) changes.push({ id: entry.id, kind: "removed", fields: [] });
  return changes;
}
