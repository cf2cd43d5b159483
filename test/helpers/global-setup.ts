import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { dbmateUrl } from "../../src/db/migrate.ts";

/**
 * Migrates one template database, once per run; each test file then works on
 * its own copy of it (test/helpers/test-db.ts). SQLite by default, with the
 * real Prisma Migrate; TEST_DATABASE_URL=postgres://… (any database on the
 * server, used to create and drop others) runs the suite on PostgreSQL, the
 * template migrated with dbmate like production.
 */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const pgAdminUrl = process.env.TEST_DATABASE_URL ?? "";
  if (/^postgres(ql)?:\/\//.test(pgAdminUrl)) {
    const name = `fuer_tmpl_${process.pid}`;
    const sql = async (q: string) => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(q);
      } finally {
        await c.end();
      }
    };
    await sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await sql(`CREATE DATABASE "${name}"`);
    execFileSync(
      "node_modules/.bin/dbmate",
      ["--migrations-dir", "prisma/migrations-postgresql", "--no-dump-schema", "up"],
      { env: { ...process.env, DATABASE_URL: dbmateUrl(withDatabase(pgAdminUrl, name)) }, stdio: "pipe" },
    );
    project.provide("templateDb", name);
    project.provide("pgAdminUrl", pgAdminUrl);
    return async () => sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "fuer-test-"));
  const template = join(dir, "template.db");
  execFileSync("node_modules/.bin/prisma", ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: `file:${template}` },
    stdio: "pipe",
  });
  project.provide("templateDb", template);
  project.provide("pgAdminUrl", "");
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    /** SQLite: the template file's path; PostgreSQL: the template database's name. */
    templateDb: string;
    /** PostgreSQL server URL to create and drop test databases through; "" on SQLite. */
    pgAdminUrl: string;
  }
}
