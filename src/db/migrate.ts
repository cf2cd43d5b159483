import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../config/database-url.ts";

const run = promisify(execFile);

/**
 * Applies pending migrations with Prisma Migrate (the committed SQL under
 * prisma/migrations). Runs the CLI as a child process because Migrate has no
 * programmatic API; it is idempotent, so every start can call it.
 */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const prismaBin = resolve(projectRoot, "node_modules/.bin/prisma");
  try {
    await run(prismaBin, ["migrate", "deploy"], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Database migration failed: ${e.stderr || e.stdout || e.message}`);
  }
}
