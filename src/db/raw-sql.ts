/**
 * SQL on the Prisma driver adapter's own connection, under the Prisma client.
 *
 * Why: with driver adapters, the Prisma client compiles every query — the
 * model API and `$queryRaw` alike — in its WebAssembly query compiler and maps
 * the result in JavaScript. Profiling the chat route under load showed that
 * bookkeeping at ~0.5 ms of CPU per statement, most of a Q&A message's cost;
 * the adapter itself (bind, run, read) takes ~0.1 ms. The few statements every
 * chat message runs (src/chat/chat-store.ts) go straight to the adapter; the
 * rest of the app keeps the client.
 *
 * It is the client's own connection, not a second one: the client is built
 * with a factory that hands the same adapter to both (prisma-client.ts).
 * On SQLite that matters: better-sqlite3 is synchronous, and a second
 * connection waiting for the write lock held by the client's transaction would
 * block the event loop that transaction needs to finish. Statements here run
 * outside any transaction, exactly like the client's own non-transactional
 * queries on that connection.
 *
 * Statements are Prisma.sql tagged templates: parameters always bound, never
 * interpolated; `?` placeholders on SQLite, `$n` on PostgreSQL.
 */
import type { Prisma } from "../generated/prisma/client.ts";

type ArgScalar = "string" | "int" | "float" | "boolean" | "datetime" | "unknown";

/** The part of Prisma's SqlDriverAdapter this module uses. */
export interface AdapterConnection {
  readonly provider: string;
  queryRaw(query: {
    sql: string;
    args: unknown[];
    argTypes: { scalarType: ArgScalar; arity: "scalar" }[];
  }): Promise<{ columnNames: string[]; rows: unknown[][] }>;
  executeRaw(query: {
    sql: string;
    args: unknown[];
    argTypes: { scalarType: ArgScalar; arity: "scalar" }[];
  }): Promise<number>;
}

export interface RawSql {
  query<T extends object>(sql: Prisma.Sql): Promise<T[]>;
  execute(sql: Prisma.Sql): Promise<number>;
}

function scalarOf(value: unknown): ArgScalar {
  if (value instanceof Date) return "datetime";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "boolean":
      return "boolean";
    default:
      return "unknown";
  }
}

export function createRawSql(connection: () => Promise<AdapterConnection>): RawSql {
  const statement = async (sql: Prisma.Sql) => {
    const conn = await connection();
    return {
      conn,
      query: {
        sql: conn.provider === "postgres" ? sql.text : sql.sql,
        args: sql.values,
        argTypes: sql.values.map((v) => ({ scalarType: scalarOf(v), arity: "scalar" as const })),
      },
    };
  };
  return {
    async query<T extends object>(sql: Prisma.Sql) {
      const { conn, query } = await statement(sql);
      const result = await conn.queryRaw(query);
      return result.rows.map((row) => Object.fromEntries(result.columnNames.map((name, i) => [name, row[i]])) as T);
    },
    async execute(sql) {
      const { conn, query } = await statement(sql);
      return conn.executeRaw(query);
    },
  };
}
