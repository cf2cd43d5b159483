import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaConfig } from "prisma";

// The PostgreSQL client (src/generated/prisma-pg) from the generated copy of the schema
// (scripts/db-generate.ts). Migrations on PostgreSQL are applied with dbmate, not Prisma
// Migrate (prisma/migrations-postgresql, see src/db/migrate.ts).
const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
process.env.DATABASE_URL = url;

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(path.dirname(fileURLToPath(import.meta.url)), "schema.prisma"),
  async adapter() {
    return new PrismaPg({ connectionString: url });
  },
} satisfies PrismaConfig;
