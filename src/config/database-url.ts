import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root, resolved from this file so the default works from any cwd. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const defaultDatabaseUrl = `file:${resolve(projectRoot, "data/app.db")}`;

export type DatabaseProvider = "sqlite" | "postgresql";

export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgresql";
  throw new Error(
    `DATABASE_URL must start with file:, postgres:// or postgresql:// (got scheme "${url.split(":")[0]}")`,
  );
}

/** Absolute path of a SQLite file URL; relative paths are taken from the project root. */
export function sqliteFilePath(url: string): string {
  const raw = url.slice("file:".length).split("?")[0] ?? "";
  return isAbsolute(raw) ? raw : resolve(projectRoot, raw);
}

/** SQLite creates the file but not its folder. */
export function ensureSqliteDirectory(url: string): void {
  if (databaseProvider(url) === "sqlite") mkdirSync(dirname(sqliteFilePath(url)), { recursive: true });
}
