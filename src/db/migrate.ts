import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { databaseProvider, projectRoot } from "../config/database-url.ts";

const run = promisify(execFile);

/** dbmate's URL: local PostgreSQL without TLS needs sslmode=disable spelled out. */
export function dbmateUrl(databaseUrl: string): string {
  return /[?&]sslmode=/.test(databaseUrl)
    ? databaseUrl
    : `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}sslmode=disable`;
}

/**
 * Applies pending migrations; idempotent, so every start can call it.
 * SQLite: Prisma Migrate over the committed SQL under prisma/migrations.
 * PostgreSQL: dbmate over prisma/migrations-postgresql (Prisma Migrate cannot
 * introspect PostgreSQL through the pg driver adapter, prisma/orm#27403).
 * Both run as child processes: neither has a programmatic API.
 */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const pg = databaseProvider(databaseUrl) === "postgresql";
  const bin = resolve(projectRoot, pg ? "node_modules/.bin/dbmate" : "node_modules/.bin/prisma");
  const args = pg
    ? ["--migrations-dir", "prisma/migrations-postgresql", "--no-dump-schema", "up"]
    : ["migrate", "deploy"];
  try {
    await run(bin, args, {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: pg ? dbmateUrl(databaseUrl) : databaseUrl },
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Database migration failed: ${e.stderr || e.stdout || e.message}`);
  }
}
