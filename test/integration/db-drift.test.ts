/**
 * The committed migrations of each provider must build exactly the schema
 * prisma/schema.prisma describes: a migration forgotten, edited by hand, or a
 * stale PostgreSQL baseline after someone added a SQLite migration fails here.
 * Compared: tables, columns (type, nullability, default), indexes and foreign
 * keys of a database built by the migrations and of one built from
 * `prisma migrate diff --from-empty` (SQL generated offline from the schema).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { postgresSchema } from "../../scripts/db-generate.ts";
import { diffSql, newestSqliteMigration } from "../../scripts/db-migration.ts";
import { applyMigrations } from "../../src/db/migrate.ts";
import { withDatabase } from "../helpers/test-db.ts";

type Shape = Record<string, unknown>;

function sqliteShape(file: string): Shape {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name",
      )
      .all() as { name: string }[];
    const shape: Shape = {};
    for (const { name } of tables) {
      shape[name] = {
        columns: db
          .prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY name`)
          .all(name),
        indexes: db
          .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name")
          .all(name)
          .map((i) => ({
            ...(i as { sql: string | null }),
            sql: (i as { sql: string | null }).sql?.replace(/\s+/g, " "),
          })),
        foreignKeys: db
          .prepare(`SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY "from"`)
          .all(name),
      };
    }
    return shape;
  } finally {
    db.close();
  }
}

async function pgShape(url: string): Promise<Shape> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const skip = "('schema_migrations')";
    const columns = await c.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default, datetime_precision
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN ${skip}
        ORDER BY table_name, column_name`,
    );
    const indexes = await c.query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename NOT IN ${skip} ORDER BY tablename, indexname`,
    );
    const constraints = await c.query(
      `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT IN ${skip}
        ORDER BY 1, 2`,
    );
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
  } finally {
    await c.end();
  }
}

describe("migrations match prisma/schema.prisma", () => {
  it("prisma/postgresql/schema.prisma is the SQLite schema with only provider and output changed", () => {
    const expected = postgresSchema(readFileSync("prisma/schema.prisma", "utf8"));
    expect(readFileSync("prisma/postgresql/schema.prisma", "utf8"), "run: npx tsx scripts/db-generate.ts").toBe(
      expected,
    );
  });

  it("PostgreSQL migrations cover every SQLite migration (regenerate: npm run db:migration -- --baseline)", () => {
    const newestPg = readdirSync("prisma/migrations-postgresql")
      .filter((f) => f.endsWith(".sql"))
      .sort()
      .at(-1);
    expect(newestPg?.slice(0, 14) ?? "").toBe(newestSqliteMigration().slice(0, 14));
  });

  // The Prisma CLI is slow on a loaded 2-core machine.
  it("SQLite: prisma/migrations build the schema", { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "fuer-drift-"));
    try {
      await applyMigrations(`file:${join(dir, "migrated.db")}`);
      const fresh = new Database(join(dir, "fresh.db"));
      fresh.exec(diffSql(null, "prisma/schema.prisma"));
      fresh.close();
      expect(sqliteShape(join(dir, "migrated.db"))).toEqual(sqliteShape(join(dir, "fresh.db")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const adminUrl = inject("pgAdminUrl");
  it.skipIf(!adminUrl)("PostgreSQL: prisma/migrations-postgresql build the schema", { timeout: 180_000 }, async () => {
    const suffix = `${process.pid}_${Date.now()}`;
    const migrated = `fuer_drift_m_${suffix}`;
    const fresh = `fuer_drift_f_${suffix}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${migrated}"`);
      await admin.query(`CREATE DATABASE "${fresh}"`);
      await applyMigrations(withDatabase(adminUrl, migrated));
      const sql = diffSql(null, "prisma/postgresql/schema.prisma");
      const c = new pg.Client({ connectionString: withDatabase(adminUrl, fresh) });
      await c.connect();
      await c.query(sql);
      await c.end();
      expect(await pgShape(withDatabase(adminUrl, migrated))).toEqual(await pgShape(withDatabase(adminUrl, fresh)));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${migrated}" WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS "${fresh}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
