/**
 * Loads the service directory from `knowledge/` at start-up:
 *
 * - `areas.yaml` — Jiyuan's 街道 and 镇 (AreaDef[]);
 * - `directory/*.yaml` (hotlines, district-wide points) and
 *   `directory/areas/*.yaml` (points per 街道/镇) — ServiceEntry[] each;
 * - `directory/local-overrides.yaml` — verified local data imported by
 *   `npm run directory:import`, applied last.
 *
 * Anything wrong stops start-up with a DirectoryError whose message names the
 * file, the entry (1-based index and id), the field and — where the YAML
 * parser knows it — the line.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { mergeDirectory } from "./directory-import-fns.ts";
import {
  areaDefSchema,
  DirectoryError,
  type DirectoryIssue,
  rawEntryId,
  type ServiceEntryOverride,
  serviceEntryOverrideSchema,
  serviceEntrySchema,
  zodIssuesToDirectoryIssues,
} from "./directory-schema.ts";
import type { AreaDef, ServiceEntry } from "./knowledge-types.ts";

export { DirectoryError, type DirectoryIssue } from "./directory-schema.ts";

/** `knowledge/` next to `src/`. */
export const DEFAULT_KNOWLEDGE_DIR = fileURLToPath(new URL("../../knowledge/", import.meta.url));

export const AREAS_FILE = "areas.yaml";
export const DIRECTORY_DIR = "directory";
export const AREA_DIRECTORY_DIR = path.join("directory", "areas");
export const OVERRIDES_FILE = path.join("directory", "local-overrides.yaml");

export interface LoadDirectoryOptions {
  /** Directory holding `areas.yaml` and `directory/`. Default: the repository's `knowledge/`. */
  knowledgeDir?: string;
  /** Overrides applied last. Default `<knowledgeDir>/directory/local-overrides.yaml` (skipped if absent). */
  overridesFile?: string;
}

/** How a file is named in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}

function toDir(dir: string | URL | undefined): string {
  if (dir === undefined) return DEFAULT_KNOWLEDGE_DIR;
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

/** A YAML file whose top level is a list, with a way to find the line of an item or of one of its fields. */
export interface YamlList {
  items: unknown[];
  /** 1-based line of item `index`, or of its `field` when given and present. */
  lineOf: (index: number, field?: string) => number | undefined;
}

/**
 * Parses YAML text that must be a list. Syntax errors become a DirectoryError
 * naming the line and column. An empty document is an empty list only when
 * `allowEmpty` is set.
 */
export function parseYamlList(text: string, file: string, options: { allowEmpty?: boolean } = {}): YamlList {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The first error is the real one; the parser's later ones mostly follow from it.
    const [first, ...rest] = doc.errors;
    const pos = first?.linePos?.[0] ?? lineCounter.linePos(first?.pos[0] ?? 0);
    const message = first?.message.split("\n")[0] ?? "";
    const more = rest.length > 0 ? `（之后还有 ${rest.length} 处由此引起的语法错误）` : "";
    throw new DirectoryError([
      { file, line: pos.line, message: `YAML syntax error (line ${pos.line}, column ${pos.col}): ${message}${more}` },
    ]);
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    if (options.allowEmpty) return { items: [], lineOf: () => undefined };
    throw new DirectoryError([{ file, message: "文件是空的：应为条目列表（每条以 “- ” 开头）" }]);
  }
  if (!isSeq(contents)) {
    const line = contents.range ? lineCounter.linePos(contents.range[0]).line : undefined;
    throw new DirectoryError([
      { file, ...(line !== undefined ? { line } : {}), message: "顶层应为条目列表（每条以 “- ” 开头）" },
    ]);
  }
  const items = contents.toJSON() as unknown[];
  const lineAt = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  const lineOf = (index: number, field?: string): number | undefined => {
    const item = contents.items[index] as Node | undefined;
    if (field !== undefined && isMap(item)) {
      const top = field.split(/[.[]/)[0];
      const pair = item.items.find((p) => isScalar(p.key) && p.key.value === top);
      const line = lineAt(pair?.key as Node | undefined);
      if (line !== undefined) return line;
    }
    return lineAt(item);
  };
  return { items, lineOf };
}

function readYamlList(file: string, options: { allowEmpty?: boolean } = {}): YamlList {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new DirectoryError([{ file: displayPath(file), message: `无法读取文件：${(err as Error).message}` }]);
  }
  return parseYamlList(text.replace(/^\uFEFF/, ""), displayPath(file), options);
}

/** Validates every item of a list with `schema`; returns the parsed items or the issues. */
function validateList<T>(
  list: YamlList,
  file: string,
  schema: z.ZodType<T>,
): { values: T[]; issues: DirectoryIssue[] } {
  const values: T[] = [];
  const issues: DirectoryIssue[] = [];
  list.items.forEach((raw, index) => {
    const id = rawEntryId(raw);
    const where = { file, entry: index + 1, ...(id ? { id } : {}) };
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (parsed.success) values.push(parsed.data);
    else issues.push(...zodIssuesToDirectoryIssues(parsed.error, where, (field) => list.lineOf(index, field)));
  });
  return { values, issues };
}

/** Reads and validates `<dir>/areas.yaml`. Names and aliases must be unique across all areas. */
export function loadAreas(dir?: string | URL): AreaDef[] {
  const file = path.join(toDir(dir), AREAS_FILE);
  const label = displayPath(file);
  const list = readYamlList(file);
  const { values, issues } = validateList(list, label, areaDefSchema);
  if (issues.length > 0) throw new DirectoryError(issues);
  const owner = new Map<string, string>();
  values.forEach((area, index) => {
    for (const word of [area.name, ...area.aliases]) {
      const other = owner.get(word);
      if (other !== undefined && other !== area.name) {
        issues.push({
          file: label,
          entry: index + 1,
          line: list.lineOf(index, word === area.name ? "name" : "aliases"),
          field: word === area.name ? "name" : "aliases",
          message: `${JSON.stringify(word)} 已被 ${JSON.stringify(other)} 使用；名称和别名在所有街道/镇之间必须唯一`,
        });
      }
      owner.set(word, area.name);
    }
  });
  if (issues.length > 0) throw new DirectoryError(issues);
  return values;
}

/** The directory's data files in load order: `directory/*.yaml` (overrides excluded), then `directory/areas/*.yaml`. */
export function directoryFiles(knowledgeDir?: string | URL): string[] {
  const root = toDir(knowledgeDir);
  const yamlIn = (dir: string, exclude: readonly string[] = []): string[] => {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name) && !exclude.includes(d.name))
      .map((d) => path.join(dir, d.name))
      .sort();
  };
  return [
    ...yamlIn(path.join(root, DIRECTORY_DIR), [path.basename(OVERRIDES_FILE)]),
    ...yamlIn(path.join(root, AREA_DIRECTORY_DIR)),
  ];
}

/**
 * Loads the directory without local overrides: every data file validated
 * against `areas`, ids unique across all files.
 */
export function loadBaseDirectory(knowledgeDir?: string | URL, areas?: readonly AreaDef[]): ServiceEntry[] {
  const root = toDir(knowledgeDir);
  const areaDefs = areas ?? loadAreas(root);
  const files = directoryFiles(root);
  if (files.length === 0) {
    throw new DirectoryError([
      { file: displayPath(path.join(root, DIRECTORY_DIR)), message: "没有找到目录数据文件（*.yaml）" },
    ]);
  }
  const schema = serviceEntrySchema({ areas: areaDefs });
  const entries: ServiceEntry[] = [];
  const issues: DirectoryIssue[] = [];
  const firstSeen = new Map<string, { file: string; entry: number }>();
  for (const file of files) {
    const label = displayPath(file);
    const list = readYamlList(file);
    const { values, issues: fileIssues } = validateList(list, label, schema);
    issues.push(...fileIssues);
    list.items.forEach((raw, index) => {
      const id = rawEntryId(raw);
      if (id === undefined) return;
      const first = firstSeen.get(id);
      if (first) {
        issues.push({
          file: label,
          entry: index + 1,
          id,
          line: list.lineOf(index, "id"),
          field: "id",
          message: `id 重复：已在 ${first.file} 第 ${first.entry} 条使用；id 在所有目录文件之间必须唯一`,
        });
      } else {
        firstSeen.set(id, { file: label, entry: index + 1 });
      }
    });
    entries.push(...values);
  }
  if (issues.length > 0) throw new DirectoryError(issues);
  return entries;
}

/** The overrides of a `local-overrides.yaml`-style file (empty if it does not exist). */
export function loadOverrides(
  file: string,
  areas: readonly AreaDef[],
): { overrides: ServiceEntryOverride[]; lineOf: (index: number, field?: string) => number | undefined } {
  if (!existsSync(file)) return { overrides: [], lineOf: () => undefined };
  const label = displayPath(file);
  const list = readYamlList(file, { allowEmpty: true });
  const { values, issues } = validateList(list, label, serviceEntryOverrideSchema({ areas }));
  if (issues.length > 0) throw new DirectoryError(issues);
  return { overrides: values, lineOf: (index, field) => list.lineOf(index, field) };
}

/**
 * Loads the whole directory: the data files, then the overrides file applied
 * on top (see `mergeDirectory`). Throws DirectoryError on any problem.
 */
export function loadDirectory(options: LoadDirectoryOptions = {}): ServiceEntry[] {
  const root = toDir(options.knowledgeDir);
  const areas = loadAreas(root);
  const base = loadBaseDirectory(root, areas);
  const overridesFile = options.overridesFile ?? path.join(root, OVERRIDES_FILE);
  if (options.overridesFile !== undefined && !existsSync(overridesFile)) {
    throw new DirectoryError([{ file: displayPath(overridesFile), message: "覆盖文件不存在" }]);
  }
  const { overrides, lineOf } = loadOverrides(overridesFile, areas);
  if (overrides.length === 0) return base;
  return mergeDirectory(base, overrides, {
    areas,
    label: displayPath(overridesFile),
    defaultsLabel: displayPath(path.join(root, DIRECTORY_DIR)),
    lineOf,
  });
}

/** Canonical area name for what a resident wrote ("沁园", "沁园办事处" → "沁园街道"), or null. */
export function resolveAreaName(areas: readonly AreaDef[], input: string): string | null {
  const word = input.trim();
  if (word === "") return null;
  const area = areas.find((a) => a.name === word || a.aliases.includes(word));
  return area ? area.name : null;
}
