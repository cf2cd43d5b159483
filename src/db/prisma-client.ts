import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  type DatabaseProvider,
  databaseProvider,
  ensureSqliteDirectory,
  sqliteFilePath,
} from "../config/database-url.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import { PrismaClient as PgPrismaClient } from "../generated/prisma-pg/client.ts";
import { type AdapterConnection, createRawSql, type RawSqlWithTransactions } from "./raw-sql.ts";

/** The adapter connection type, as the adapters' connect() declares it. */
type SqlDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/**
 * The database client. Both generated clients (SQLite: src/generated/prisma,
 * PostgreSQL: src/generated/prisma-pg, from the same models) have the same
 * model API, so the app is typed against the SQLite one.
 */
export type Db = PrismaClient;

const providers = new WeakMap<object, DatabaseProvider>();
const rawSqls = new WeakMap<object, RawSqlWithTransactions>();

/**
 * The adapter factories, handing the client and the hot path's raw SQL
 * (raw-sql.ts) one and the same connection. A connection the client disposed
 * (on $disconnect) is replaced on the next connect.
 */
class SharedSqliteAdapter extends PrismaBetterSQLite3 {
  #connection: Promise<SqlDriverAdapter> | null = null;
  override connect(): Promise<SqlDriverAdapter> {
    this.#connection ??= super.connect().then((adapter) => forgetOnDispose(adapter, () => (this.#connection = null)));
    return this.#connection;
  }
}

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;

class SharedPgAdapter extends PrismaPg {
  #connection: Promise<PgAdapter> | null = null;
  override connect(): Promise<PgAdapter> {
    this.#connection ??= super.connect().then((adapter) => forgetOnDispose(adapter, () => (this.#connection = null)));
    return this.#connection;
  }
}

function forgetOnDispose<A extends { dispose(): Promise<void> }>(adapter: A, forget: () => void): A {
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    forget();
    await dispose();
  };
  return adapter;
}

/** Statements on the client's own adapter connection, bypassing the client's per-query compile (raw-sql.ts). */
export function rawSqlOf(db: Db): RawSqlWithTransactions {
  const raw = rawSqls.get(db);
  if (!raw) throw new Error("rawSqlOf: not a client from createPrismaClient");
  return raw;
}

/** Which database a client from createPrismaClient talks to (SQLite for any other client). */
export function providerOf(db: Db): DatabaseProvider {
  return providers.get(db) ?? "sqlite";
}

/** pg's own default, for clients made without the app's config (tests, scripts). */
const DEFAULT_POOL_SIZE = 10;

/** One client per app instance (no module-level global), closed by the app on shutdown. */
export function createPrismaClient(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  if (databaseProvider(databaseUrl) === "postgresql") {
    const adapter = new SharedPgAdapter({ connectionString: databaseUrl, max: options.poolSize ?? DEFAULT_POOL_SIZE });
    // The one cast: the PostgreSQL client is generated from the same models as the SQLite
    // one (scripts/db-generate.ts changes only provider and output), so its model API is the
    // same; the classes differ only in provider-private type parameters.
    const client = new PgPrismaClient({ adapter }) as unknown as Db;
    providers.set(client, "postgresql");
    rawSqls.set(
      client,
      createRawSql(() => adapter.connect() as Promise<AdapterConnection>, "postgres"),
    );
    return client;
  }
  ensureSqliteDirectory(databaseUrl);
  const adapter = new SharedSqliteAdapter({ url: `file:${sqliteFilePath(databaseUrl)}` });
  const client = new PrismaClient({ adapter });
  rawSqls.set(
    client,
    createRawSql(() => adapter.connect() as Promise<AdapterConnection>, "sqlite"),
  );
  return client;
}

/** How long an SQLite statement waits for a lock another connection holds. */
export const BUSY_TIMEOUT_MS = 5000;

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
  await db.$queryRawUnsafe(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
}
