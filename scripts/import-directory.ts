/**
 * Imports verified local data into the service directory.
 *
 *   npm run directory:import -- path/to/file.csv        # or .yaml / .yml
 *   npm run directory:import -- path/to/file.csv --dry-run
 *   npm run directory:import -- --export directory.csv  # current directory as CSV, to edit and re-import
 *
 * Validates the file, merges it into `knowledge/directory/local-overrides.yaml`
 * (which the loader applies last), checks the whole directory still loads and
 * prints what changed. Only fields that differ from the current directory are
 * kept, so re-importing an unchanged export is a no-op. A bad file changes
 * nothing and exits with code 1 and an error naming the file, entry, id and
 * field. Changes take effect on restart.
 *
 * Options (mainly for tests): --knowledge-dir DIR, --overrides FILE.
 */

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Document } from "yaml";
import {
  combineOverrides,
  type DirectoryChange,
  diffDirectory,
  directoryToCsv,
  mergeDirectory,
  minimizeOverrides,
  parseDirectoryCsvWithLines,
} from "../src/knowledge/directory-import-fns.ts";
import {
  DEFAULT_KNOWLEDGE_DIR,
  DIRECTORY_DIR,
  DirectoryError,
  displayPath,
  loadAreas,
  loadBaseDirectory,
  loadDirectory,
  loadOverrides,
  OVERRIDES_FILE,
  parseYamlList,
} from "../src/knowledge/directory-loader.ts";
import {
  rawEntryId,
  type ServiceEntryOverride,
  serviceEntryOverrideSchema,
  zodIssuesToDirectoryIssues,
} from "../src/knowledge/directory-schema.ts";
import type { AreaDef } from "../src/knowledge/knowledge-types.ts";

const USAGE = [
  "用法：npm run directory:import -- <文件.csv|文件.yaml> [--dry-run] [--knowledge-dir 目录] [--overrides 文件]",
  "      npm run directory:import -- --export <输出.csv>    导出当前目录（含本地覆盖）为 CSV",
].join("\n");

export const OVERRIDES_HEADER = [
  " 本地核实数据覆盖文件（local-overrides.yaml）",
  "",
  " 用途：把向机构本身核实过的本地信息（电话、地址、开放时间等）叠加到目录的默认数据上。",
  " 加载器最后应用本文件：id 已存在的条目只替换这里写出的字段；id 不存在的条目作为新条目加入。",
  " 填写电话、地址或开放时间的条目必须同时写 verified: true、verifiedBy（核实人/单位）和 verifiedAt（YYYY-MM-DD）。",
  "",
  " 请用 npm run directory:import -- 文件.csv（或 .yaml）导入，不要手工编辑；导入脚本会校验并重写本文件。",
  " 修改后需要重启服务才会生效。说明见 docs/directory.md。",
].join("\n");

export interface ImportIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

interface Args {
  file: string;
  exportTo: string | undefined;
  dryRun: boolean;
  knowledgeDir: string;
  overridesFile: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | string {
  let file: string | undefined;
  let dryRun = false;
  let knowledgeDir = DEFAULT_KNOWLEDGE_DIR;
  let overridesFile: string | undefined;
  let exportTo: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--dry-run") dryRun = true;
    else if (arg === "--knowledge-dir" || arg === "--overrides" || arg === "--export") {
      const value = argv[++i];
      if (value === undefined) return `${arg} 后面缺少路径`;
      if (arg === "--knowledge-dir") knowledgeDir = path.resolve(value);
      else if (arg === "--export") exportTo = path.resolve(value);
      else overridesFile = path.resolve(value);
    } else if (arg === "--help" || arg === "-h") return "";
    else if (arg.startsWith("--")) return `未知选项 ${arg}`;
    else if (file === undefined) file = arg;
    else return `只能导入一个文件，多出了 ${arg}`;
  }
  if (exportTo !== undefined) {
    if (file !== undefined) return "--export 不能和要导入的文件同时使用";
    return { file: "", exportTo, dryRun, knowledgeDir, overridesFile };
  }
  if (file === undefined) return "缺少要导入的文件";
  return { file: path.resolve(file), exportTo, dryRun, knowledgeDir, overridesFile };
}

/** Reads the import file as overrides (CSV or YAML, by extension). */
function readImportFile(
  file: string,
  areas: readonly AreaDef[],
): { overrides: ServiceEntryOverride[]; lineOf: (i: number, field?: string) => number | undefined } {
  const label = displayPath(file);
  if (!existsSync(file)) throw new DirectoryError([{ file: label, message: "文件不存在" }]);
  const text = readFileSync(file, "utf8");
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv") {
    const { overrides, lines } = parseDirectoryCsvWithLines(text, { areas, label });
    return { overrides, lineOf: (i) => lines[i] };
  }
  if (ext === ".yaml" || ext === ".yml") {
    const list = parseYamlList(text.replace(/^\uFEFF/, ""), label);
    const schema = serviceEntryOverrideSchema({ areas });
    const overrides: ServiceEntryOverride[] = [];
    const issues = list.items.flatMap((raw, index) => {
      const id = rawEntryId(raw);
      const parsed = schema.safeParse(raw, { reportInput: true });
      if (parsed.success) {
        overrides.push(parsed.data);
        return [];
      }
      return zodIssuesToDirectoryIssues(parsed.error, { file: label, entry: index + 1, ...(id ? { id } : {}) }, (f) =>
        list.lineOf(index, f),
      );
    });
    if (issues.length > 0) throw new DirectoryError(issues);
    return { overrides, lineOf: (i, field) => list.lineOf(i, field) };
  }
  throw new DirectoryError([{ file: label, message: "只支持 .csv、.yaml 或 .yml 文件" }]);
}

function show(value: unknown): string {
  if (value === null) return "（空）";
  if (Array.isArray(value)) return value.join("、") || "（空）";
  return String(value);
}

export function describeChanges(changes: readonly DirectoryChange[]): string {
  return changes
    .map((c) => {
      if (c.kind === "added") return `+ 新增 ${c.id}`;
      if (c.kind === "removed") return `- 删除 ${c.id}`;
      const fields = c.fields.map((f) => `    ${f.field}: ${show(f.before)} → ${show(f.after)}`);
      return [`~ 修改 ${c.id}`, ...fields].join("\n");
    })
    .join("\n");
}

/** Serialises overrides with the explanatory header, as `local-overrides.yaml` keeps them. */
export function overridesToYaml(overrides: readonly ServiceEntryOverride[]): string {
  const doc = new Document(overrides);
  doc.commentBefore = OVERRIDES_HEADER;
  return doc.toString({ lineWidth: 0 });
}

/** Runs the import; returns the process exit code. */
export function runImport(argv: readonly string[], io: ImportIo): number {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.err(`${args === "" ? "" : `${args}\n`}${USAGE}\n`);
    return args === "" ? 0 : 2;
  }
  try {
    if (args.exportTo !== undefined) {
      const entries = loadDirectory({
        knowledgeDir: args.knowledgeDir,
        ...(args.overridesFile !== undefined ? { overridesFile: args.overridesFile } : {}),
      });
      writeFileSync(args.exportTo, directoryToCsv(entries), "utf8");
      io.out(`已导出 ${entries.length} 条到 ${displayPath(args.exportTo)}。\n`);
      return 0;
    }
    const areas = loadAreas(args.knowledgeDir);
    const base = loadBaseDirectory(args.knowledgeDir, areas);
    const overridesFile = args.overridesFile ?? path.join(args.knowledgeDir, OVERRIDES_FILE);
    const overridesLabel = displayPath(overridesFile);
    const defaultsLabel = displayPath(path.join(args.knowledgeDir, DIRECTORY_DIR));
    const existing = loadOverrides(overridesFile, areas);
    const before = mergeDirectory(base, existing.overrides, {
      areas,
      label: overridesLabel,
      defaultsLabel,
      lineOf: existing.lineOf,
    });

    const incoming = readImportFile(args.file, areas);
    // Validate the new data against the current directory first, so errors point into the imported file.
    mergeDirectory(before, incoming.overrides, {
      areas,
      label: displayPath(args.file),
      defaultsLabel,
      lineOf: incoming.lineOf,
    });
    const combined = combineOverrides(existing.overrides, minimizeOverrides(before, incoming.overrides));
    const after = mergeDirectory(base, combined, { areas, label: overridesLabel, defaultsLabel });

    const changes = diffDirectory(before, after);
    if (changes.length === 0) {
      io.out(`${displayPath(args.file)}：${incoming.overrides.length} 条，目录没有变化。\n`);
      return 0;
    }
    io.out(`${describeChanges(changes)}\n`);
    const added = changes.filter((c) => c.kind === "added").length;
    const summary = `共 ${changes.length} 条变化（新增 ${added}，修改 ${changes.length - added}）`;
    if (args.dryRun) {
      io.out(`${summary}。--dry-run：未写入 ${overridesLabel}。\n`);
      return 0;
    }
    const tmp = `${overridesFile}.tmp-${process.pid}`;
    writeFileSync(tmp, overridesToYaml(combined), "utf8");
    renameSync(tmp, overridesFile);
    io.out(`${summary}，已写入 ${overridesLabel}。重启服务后生效。\n`);
    return 0;
  } catch (err) {
    if (err instanceof DirectoryError) {
      io.err(`导入失败，没有做任何修改：\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = runImport(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
}
