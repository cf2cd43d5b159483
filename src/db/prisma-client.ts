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
