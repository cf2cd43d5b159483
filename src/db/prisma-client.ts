import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { databaseProvider, ensureSqliteDirectory, sqliteFilePath } from "../config/database-url.ts";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient;

/** One client per app instance (no module-level global), closed by the app on shutdown. */
export function createPrismaClient(databaseUrl: string): Db {
  const provider = databaseProvider(databaseUrl);
  if (provider !== "sqlite") {
    throw new Error("PostgreSQL support is not built yet: set DATABASE_URL to a file: URL (SQLite)");
  }
  ensureSqliteDirectory(databaseUrl);
  const adapter = new PrismaBetterSQLite3({ url: `file:${sqliteFilePath(databaseUrl)}` });
  return new PrismaClient({ adapter });
}

/**
 * SQLite settings for a server: WAL lets readers proceed during a write and
 * makes a commit one fsync of the log instead of two of the database
 * (synchronous=NORMAL in WAL mode still survives a process crash; only an OS
 * crash can lose the last commits). busy_timeout waits for a lock instead of
 * failing. No-op on other databases.
 */
export async function prepareDatabase(db: Db, databaseUrl: string): Promise<void> {
  if (databaseProvider(databaseUrl) !== "sqlite") return;
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
}
