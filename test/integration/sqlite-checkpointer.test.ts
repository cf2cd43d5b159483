import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sqliteFilePath } from "../../src/config/database-url.ts";
import { createPrismaClient, type Db, prepareDatabase } from "../../src/db/prisma-client.ts";
import { startSqliteCheckpointer } from "../../src/db/sqlite-checkpointer.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

const onSqlite = inject("pgAdminUrl") === "";

/** Writes `n` conversations (~1 page each with its text) through the app's client. */
async function write(db: Db, from: number, n: number): Promise<void> {
  const purgeAfter = new Date(Date.now() + 86_400_000);
  for (let i = from; i < from + n; i++) {
    await db.conversation.create({ data: { id: `cp-${i}-${"x".repeat(2000)}`, channel: "web", purgeAfter } });
  }
}

const autocheckpoint = async (db: Db) =>
  Number(
    (await db.$queryRawUnsafe<{ wal_autocheckpoint: bigint | number }[]>("PRAGMA wal_autocheckpoint"))[0]
      ?.wal_autocheckpoint,
  );

describe.skipIf(!onSqlite)("SQLite WAL checkpoints run in a worker, off the event loop", () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase("checkpoint");
    db = createPrismaClient(database.url);
    await prepareDatabase(db, database.url);
  });
  afterAll(async () => {
    await db.$disconnect();
    await database.drop();
  });

  it("the app's connection stops auto-checkpointing while the worker runs, and the WAL stays small", async () => {
    const wal = `${sqliteFilePath(database.url)}-wal`;
    const errors: Error[] = [];
    const checkpointer = await startSqliteCheckpointer(db, sqliteFilePath(database.url), (e) => errors.push(e), 20);
    expect(await autocheckpoint(db)).toBe(0);
    // 3,000 pages written in bursts with pauses for the worker: without checkpoints the WAL would pass 12 MB.
    for (let burst = 0; burst < 30; burst++) {
      await write(db, burst * 100, 100);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(statSync(wal).size).toBeLessThan(4 * 1024 * 1024);
    await checkpointer.stop();
    expect(await autocheckpoint(db)).toBe(1000);
    expect(errors).toEqual([]);
  });

  it("under writes without a pause the WAL is still rewound: past the restart size a RESTART follows (no checkpoint starvation)", async () => {
    const wal = `${sqliteFilePath(database.url)}-wal`;
    const errors: Error[] = [];
    // Restart past 1 MB; 12 MB of writes with no idle moment for a PASSIVE pass to finish the log.
    const checkpointer = await startSqliteCheckpointer(
      db,
      sqliteFilePath(database.url),
      (e) => errors.push(e),
      20,
      1024 * 1024,
    );
    let peak = 0;
    for (let i = 0; i < 3000; i++) {
      await write(db, 100_000 + i, 1);
      if (i % 100 === 99) peak = Math.max(peak, statSync(wal).size);
    }
    await checkpointer.stop();
    expect(peak).toBeLessThan(6 * 1024 * 1024);
    expect(errors).toEqual([]);
  });
});
