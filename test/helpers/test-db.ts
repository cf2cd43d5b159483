import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";

/**
 * A fresh database for one test app, made from the run's migrated template
 * (test/helpers/global-setup.ts): a copy of the SQLite file, or on PostgreSQL
 * (TEST_DATABASE_URL=postgres://…) `CREATE DATABASE … TEMPLATE …`. drop()
 * removes it.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(prefix = "app"): Promise<TestDatabase> {
  const template = inject("templateDb");
  const pgAdminUrl = inject("pgAdminUrl");
  if (!pgAdminUrl) {
    const dir = mkdtempSync(join(tmpdir(), `fuer-${prefix}-`));
    const file = join(dir, "app.db");
    copyFileSync(template, file);
    return {
      url: `file:${file}`,
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `fuer_t_${prefix.replace(/\W/g, "")}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(pgAdminUrl, async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (err) {
        // Two creations from one template at the same instant: the second waits and retries.
        if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  return {
    url: withDatabase(pgAdminUrl, name),
    async drop() {
      await admin(pgAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
