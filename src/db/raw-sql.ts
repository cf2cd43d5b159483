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

interface AdapterQuery {
  sql: string;
  args: unknown[];
  argTypes: { scalarType: ArgScalar; arity: "scalar" }[];
}

interface AdapterQueryable {
  queryRaw(query: AdapterQuery): Promise<{ columnNames: string[]; rows: unknown[][] }>;
  executeRaw(query: AdapterQuery): Promise<number>;
}

/** The part of Prisma's SqlDriverAdapter this module uses. */
export interface AdapterConnection extends AdapterQueryable {
  readonly provider: string;
  /**
   * Prisma's transaction protocol: the adapter takes its lock (SQLite: the one
   * the client's own transactions take) and sends BEGIN; the caller sends
   * COMMIT or ROLLBACK as a statement, then calls commit()/rollback() to
   * release the lock or the pooled connection.
   */
  startTransaction(): Promise<AdapterQueryable & { commit(): Promise<void>; rollback(): Promise<void> }>;
}

export interface RawSql {
  query<T extends object>(sql: Prisma.Sql): Promise<T[]>;
  execute(sql: Prisma.Sql): Promise<number>;
}

export interface RawSqlWithTransactions extends RawSql {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: RawSql) => Promise<T>): Promise<T>;
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

function runner(provider: string, on: () => Promise<AdapterQueryable>): RawSql {
  const statement = (sql: Prisma.Sql): AdapterQuery => ({
    sql: provider === "postgres" ? sql.text : sql.sql,
    args: sql.values,
    argTypes: sql.values.map((v) => ({ scalarType: scalarOf(v), arity: "scalar" as const })),
  });
  return {
    async query<T extends object>(sql: Prisma.Sql) {
      const result = await (await on()).queryRaw(statement(sql));
      return result.rows.map((row) => Object.fromEntries(result.columnNames.map((name, i) => [name, row[i]])) as T);
    },
    async execute(sql) {
      return (await on()).executeRaw(statement(sql));
    },
  };
}

const BARE = (sql: string): AdapterQuery => ({ sql, args: [], argTypes: [] });

export function createRawSql(connection: () => Promise<AdapterConnection>, provider: string): RawSqlWithTransactions {
  return {
    ...runner(provider, connection),
    async transaction(fn) {
      const tx = await (await connection()).startTransaction();
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(runner(provider, async () => tx));
        await tx.executeRaw(BARE("COMMIT"));
      } catch (err) {
        try {
          await tx.executeRaw(BARE("ROLLBACK"));
        } finally {
          await tx.rollback();
        }
        throw err;
      }
      await tx.commit();
      return result;
    },
  };
}
