import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type { PrismaConfig } from "prisma";
import { defaultDatabaseUrl, ensureSqliteDirectory, sqliteFilePath } from "./src/config/database-url.ts";

const url = process.env.DATABASE_URL || defaultDatabaseUrl;
process.env.DATABASE_URL = url;

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  async adapter() {
    ensureSqliteDirectory(url);
    return new PrismaBetterSQLite3({ url: `file:${sqliteFilePath(url)}` });
  },
} satisfies PrismaConfig;
