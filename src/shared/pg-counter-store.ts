/**
 * Shared rate-limit counts in PostgreSQL's RateLimitBucket table: one row per
 * key, its window restarted on the database's clock when it is over.
 */
import { type Db, rawSqlOf } from "../db/prisma-client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { CounterStore, CounterTotal } from "./shared-rate-limiter.ts";

const NOW = `(now() AT TIME ZONE 'UTC')`;

export function createPostgresCounterStore(db: Db): CounterStore {
  const sql = rawSqlOf(db);
  return {
    async add(deltas, windowMs) {
      if (deltas.length === 0) return [];
      const seconds = windowMs / 1000;
      const nowSql = Prisma.raw(NOW);
      const expired = Prisma.sql`"RateLimitBucket"."windowStart" <= ${nowSql} - make_interval(secs => ${seconds}::float8)`;
      // A counter need not survive a crash: set_config(…, true) turns synchronous_commit off for
      // this statement's own transaction, so its commit does not wait for the WAL flush.
      const rows = await sql.query<{ key: string; count: number | string; ageMs: number | string }>(
        Prisma.sql`INSERT INTO "RateLimitBucket" ("key", "windowStart", "count")
         SELECT v."key", ${nowSql}, v."delta"
         FROM (VALUES ${Prisma.join(deltas.map((d) => Prisma.sql`(${d.key}::text, ${d.delta}::int)`))}) AS v("key", "delta"),
              (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
         ORDER BY v."key"
         ON CONFLICT ("key") DO UPDATE SET
           "count" = CASE WHEN ${expired} THEN EXCLUDED."count" ELSE "RateLimitBucket"."count" + EXCLUDED."count" END,
           "windowStart" = CASE WHEN ${expired} THEN ${nowSql} ELSE "RateLimitBucket"."windowStart" END
         RETURNING "key", "count", (EXTRACT(EPOCH FROM (${nowSql} - "windowStart")) * 1000)::float8 AS "ageMs"`,
      );
      return rows.map((r): CounterTotal => ({ key: r.key, count: Number(r.count), ageMs: Number(r.ageMs) }));
    },
    async sweep(windowMs) {
      await db.$executeRawUnsafe(
        `DELETE FROM "RateLimitBucket" WHERE "windowStart" <= ${NOW} - make_interval(secs => $1::float8)`,
        windowMs / 1000,
      );
    },
  };
}
