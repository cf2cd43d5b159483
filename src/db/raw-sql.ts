/**
 * SQL on the Prisma driver adapter's own connection, under the Prisma client.
 *
 * Why: with driver adapters, the Prisma client compiles every query — the
 * model API and `$queryRaw` alike — in its WebAssembly query compiler and maps
 * the result in JavaScript. Profiling the chat route under load showed that
 * bookkeeping at ~0.5 ms of CPU per statement, most of a Q&A message's cost.
 * The few statements every chat message runs (src/chat/chat-store.ts, the
 * shared rate limiter's sync, the case-event bus on PostgreSQL) skip it; the
 * rest of the app keeps the client.
 *
 * It is the client's own connection, not a second one: the client is built
 * with a factory that hands the same adapter to both (prisma-client.ts).
 * On SQLite that matters: better-sqlite3 is synchronous, and a second
 * connection waiting for the write lock held by the client's transaction would
 * block the event loop that transaction needs to finish.
 *
 * On SQLite the statements go to the adapter's better-sqlite3 handle with a
 * cache of prepared statements: the adapter prepares every statement anew, and
 * under load that compile was the largest single cost after the client's.
 * Writes belong in transaction(): it takes the adapter's transaction lock, the
 * one the client's interactive transactions take, so a write here never lands
 * inside (and is never rolled back with) a transaction the client has open on
 * the same connection. On PostgreSQL the statements go to the adapter's pg
 * pool as named prepared statements: each connection parses and plans a
 * statement once, not on every call (measured under load, planning cost
 * PostgreSQL as much CPU as executing them).
 *
 * Statements are Prisma.sql tagged templates: parameters always bound, never
 * interpolated; `?` placeholders on SQLite, `$n` on PostgreSQL.
 */

import { createHash } from "node:crypto";
import pg from "pg";
import { Prisma } from "../generated/prisma/client.ts";
import { createLruCache, type LruCache } from "../shared/lru-cache.ts";

/** The part of a better-sqlite3 statement this module uses. */
interface SqliteStatement {
  readonly reader: boolean;
  safeIntegers(toggle: boolean): SqliteStatement;
  all(...args: unknown[]): unknown[];
  run(...args: unknown[]): { changes: number };
}

/** The part of a better-sqlite3 Database this module uses. */
export interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  readonly inTransaction: boolean;
}

/** The part of Prisma's SqlDriverAdapter this module uses. */
export interface AdapterConnection {
  readonly provider: string;
  /**
   * Prisma's transaction protocol: the adapter takes its lock (SQLite: the one
   * the client's own transactions take) and sends BEGIN; the caller sends
   * COMMIT or ROLLBACK as a statement, then calls commit()/rollback() to
   * release the lock or the pooled connection.
   */
  startTransaction(): Promise<{ commit(): Promise<void>; rollback(): Promise<void> }>;
}

export interface RawSql {
  query<T extends object>(sql: Prisma.Sql): Promise<T[]>;
  execute(sql: Prisma.Sql): Promise<number>;
}

export interface RawSqlWithTransactions extends RawSql {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: RawSql) => Promise<T>): Promise<T>;
  /**
   * SQLite: transactions enter the gate before they begin and leave it after
   * their commit. While it is closed they wait — asynchronously, so the event
   * loop serves everything else meanwhile (sqlite-checkpointer.ts closes it
   * for a RESTART once the transactions inside have left). null removes it.
   */
  setWriteGate(gate: WriteGate | null): void;
}

/** Something that holds writes back for a moment. */
export interface WriteGate {
  /** Resolves once the caller is inside: at once when open, else when it opens. */
  enter(): Promise<void>;
  leave(): void;
}

/** Prepared statements kept per handle; the SQL texts on the hot path are few (the count of IN-list items varies). */
const STATEMENT_CACHE_SIZE = 256;
const statementCaches = new WeakMap<SqliteHandle, LruCache<SqliteStatement>>();

/** A parameter as the better-sqlite3 adapter binds it, so rows read back through the model API are the same. */
function sqliteArg(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

function sqliteRunner(handle: SqliteHandle): RawSql {
  let cache = statementCaches.get(handle);
  if (!cache) {
    cache = createLruCache<SqliteStatement>(STATEMENT_CACHE_SIZE);
    statementCaches.set(handle, cache);
  }
  const statements = cache;
  const prepared = (sql: Prisma.Sql) => {
    let stmt = statements.get(sql.sql);
    if (!stmt) {
      stmt = handle.prepare(sql.sql);
      // The adapter's handle reads integers as BigInt; the values here (event seqs, counts) fit a number.
      if (stmt.reader) stmt.safeIntegers(false);
      statements.set(sql.sql, stmt);
    }
    return { stmt, args: sql.values.map(sqliteArg) };
  };
  return {
    async query<T extends object>(sql: Prisma.Sql) {
      const { stmt, args } = prepared(sql);
      if (!stmt.reader) {
        stmt.run(...args);
        return [];
      }
      return stmt.all(...args) as T[];
    },
    async execute(sql) {
      const { stmt, args } = prepared(sql);
      return stmt.run(...args).changes;
    },
  };
}

/** The better-sqlite3 adapter keeps its Database in `client` (public in its JavaScript, undeclared in its types). */
function sqliteHandleOf(connection: AdapterConnection): SqliteHandle {
  const handle = (connection as unknown as { client?: Partial<SqliteHandle> }).client;
  if (typeof handle?.prepare !== "function") throw new Error("raw SQL: the SQLite adapter exposes no database handle");
  return handle as SqliteHandle;
}

interface Job {
  fn: (tx: RawSql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * SQLite: statements on the adapter's handle; transactions are group-committed.
 *
 * Every SQLite commit appends each page it changed to the WAL, and the
 * checkpoints that copy the WAL back and sync it are what hold the app's
 * writes up (sqlite-checkpointer.ts). Transactions that become ready in the
 * same turn of the event loop therefore share one commit: each runs in its own
 * SAVEPOINT — rolled back alone when it throws, so each is still all or
 * nothing and sees no other's failure — and the pages they share (the ends of
 * the tables and of the time-ordered indexes) are written once. Every caller
 * hears back only after the COMMIT: nothing is acknowledged before it is
 * durable. Under light load a batch is one transaction and this is a plain
 * commit one turn later.
 *
 * The batch holds the adapter's transaction lock from BEGIN (sent by
 * startTransaction) to COMMIT, like one of the client's own transactions.
 */
function createSqliteRawSql(connection: () => Promise<AdapterConnection>): RawSqlWithTransactions {
  const direct = async () => sqliteRunner(sqliteHandleOf(await connection()));
  let pending: Job[] | null = null;
  let gate: WriteGate | null = null;

  async function runBatch(jobs: Job[]): Promise<void> {
    const held = gate;
    if (held) await held.enter();
    try {
      await runBatchInside(jobs);
    } finally {
      held?.leave();
    }
  }

  async function runBatchInside(jobs: Job[]): Promise<void> {
    let conn: AdapterConnection;
    let tx: Awaited<ReturnType<AdapterConnection["startTransaction"]>>;
    try {
      conn = await connection();
      tx = await conn.startTransaction();
    } catch (err) {
      for (const job of jobs) job.reject(err);
      return;
    }
    const handle = sqliteHandleOf(conn);
    const control = sqliteRunner(handle);
    const run = (text: string) => control.execute(Prisma.raw(text));
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      for (const job of jobs) {
        await run("SAVEPOINT job");
        try {
          const value = await job.fn(sqliteRunner(handle));
          await run("RELEASE job");
          outcomes.push({ ok: true, value });
        } catch (err) {
          // SQLite ends the whole transaction itself on some errors (SQLITE_FULL, SQLITE_IOERR…): then the batch is lost.
          if (!handle.inTransaction) throw err;
          await run("ROLLBACK TO job");
          await run("RELEASE job");
          outcomes.push({ ok: false, err });
        }
      }
      await run("COMMIT");
    } catch (err) {
      try {
        if (handle.inTransaction) await run("ROLLBACK");
      } finally {
        await tx.rollback();
      }
      for (const job of jobs) job.reject(err);
      return;
    }
    await tx.commit();
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome ? outcome.err : new Error("transaction not run"));
    });
  }

  return {
    async query<T extends object>(sql: Prisma.Sql) {
      return (await direct()).query<T>(sql);
    },
    async execute(sql) {
      return (await direct()).execute(sql);
    },
    setWriteGate(next) {
      gate = next;
    },
    transaction<T>(fn: (tx: RawSql) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (!pending) {
          const jobs: Job[] = [];
          pending = jobs;
          setImmediate(() => {
            pending = null;
            // A job already settled ignores this; none is left waiting whatever fails.
            runBatch(jobs).catch((err: unknown) => {
              for (const job of jobs) job.reject(err);
            });
          });
        }
        pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}

/** The part of a pg Pool or PoolClient this module uses. */
interface PgClient {
  query(config: {
    name: string;
    text: string;
    values: unknown[];
    types: { getTypeParser: (oid: number, format: "text" | "binary") => (value: string) => unknown };
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  query(text: string): Promise<unknown>;
}

/** The pg adapter keeps its Pool (and a transaction its PoolClient) in `client`. */
function pgClientOf(queryable: unknown): PgClient {
  const client = (queryable as { client?: Partial<PgClient> }).client;
  if (typeof client?.query !== "function") throw new Error("raw SQL: the PostgreSQL adapter exposes no pg client");
  return client as PgClient;
}

/** The adapter's formats, so rows read here and through the model API agree: UTC, no zone on the way in. */
function pgArg(value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  const iso = value.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const PG_TIMESTAMP = 1114;
const PG_TIMESTAMPTZ = 1184;
const pgTypes = {
  getTypeParser(oid: number, format: "text" | "binary") {
    if (oid === PG_TIMESTAMP) return (text: string) => `${text.replace(" ", "T")}+00:00`;
    if (oid === PG_TIMESTAMPTZ)
      return (text: string) => text.replace(" ", "T").replace(/[+-]\d{2}(:\d{2})?$/, "+00:00");
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Statement names by SQL text. pg prepares a name once per connection and
 * keeps it for the connection's life: the hot path's texts are few and of
 * fixed shape (an IN list's length varies over a small range), so that stays small.
 */
const PG_NAME_CACHE_SIZE = 256;
const pgNames = createLruCache<string>(PG_NAME_CACHE_SIZE);
function pgStatementName(text: string): string {
  let name = pgNames.get(text);
  if (!name) {
    name = `raw_${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`;
    pgNames.set(text, name);
  }
  return name;
}

function pgRunner(client: () => Promise<PgClient>): RawSql {
  const run = async (sql: Prisma.Sql) =>
    (await client()).query({
      name: pgStatementName(sql.text),
      text: sql.text,
      values: sql.values.map(pgArg),
      types: pgTypes,
    });
  return {
    async query<T extends object>(sql: Prisma.Sql) {
      return (await run(sql)).rows as T[];
    },
    async execute(sql) {
      return (await run(sql)).rowCount ?? 0;
    },
  };
}

function createPgRawSql(connection: () => Promise<AdapterConnection>): RawSqlWithTransactions {
  return {
    ...pgRunner(async () => pgClientOf(await connection())),
    // PostgreSQL checkpoints on its own; nothing here holds writes back.
    setWriteGate() {},
    async transaction(fn) {
      // The adapter's protocol: it checks a connection out of the pool and sends BEGIN.
      const tx = await (await connection()).startTransaction();
      const client = pgClientOf(tx);
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(pgRunner(async () => client));
        await client.query("COMMIT");
      } catch (err) {
        try {
          await client.query("ROLLBACK");
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

export function createRawSql(connection: () => Promise<AdapterConnection>, provider: string): RawSqlWithTransactions {
  return provider === "sqlite" ? createSqliteRawSql(connection) : createPgRawSql(connection);
}
