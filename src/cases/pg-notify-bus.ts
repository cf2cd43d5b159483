/**
 * Case-event wake-ups across instances on PostgreSQL: `publish` sends
 * `NOTIFY case_events, '<seq>'` (the event's id only — a wake-up, not the
 * data); every instance, the publisher included, holds one dedicated
 * connection doing `LISTEN case_events`, reads the event by its seq from the
 * database (the record) and hands the notice to its local listeners (staff
 * sockets). NOTIFY is transactional and sent after the event committed, so
 * the reader always finds the row.
 *
 * When the LISTEN connection drops, it reconnects with backoff and replays
 * the events committed meanwhile (id above the highest seen), so consoles on
 * this instance miss nothing; a console that itself reconnects backfills by
 * `resume` as before.
 */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import pg from "pg";
import { databaseProvider } from "../config/database-url.ts";
import { type Db, rawSqlOf } from "../db/prisma-client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import {
  type CaseEventListener,
  type CaseEventNotice,
  createInProcessEventBus,
  type EventBus,
} from "./case-events-bus.ts";
import type { CaseEventType } from "./case-types.ts";

export const CASE_EVENTS_CHANNEL = "case_events";
/** Events replayed at most after a reconnect (older ones: consoles backfill themselves). */
const CATCH_UP_LIMIT = 1000;
/**
 * Safety net: an instance killed between its commit and its NOTIFY sends no
 * wake-up. Every SWEEP_MS each instance looks at the most recent events and
 * delivers those it never heard of.
 */
const SWEEP_MS = 2000;
const SWEEP_WINDOW = 500;

export interface PgNotifyEventBus extends EventBus {
  /** Connects the LISTEN connection; resolves once listening. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createPgNotifyEventBus(opts: {
  url: string;
  db: Db;
  logger: FastifyBaseLogger;
  channel?: string;
}): PgNotifyEventBus {
  const { db, logger } = opts;
  const channel = opts.channel ?? CASE_EVENTS_CHANNEL;
  const listeners = new Set<CaseEventListener>();
  let client: pg.Client | null = null;
  let stopped = false;
  let highest = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let backoffMs = 100;
  let sweepTimer: NodeJS.Timeout | undefined;
  /** Seqs delivered here (recent ones), so the sweep and NOTIFY never deliver one twice. */
  const delivered = new Set<number>();
  let floor = 0;

  function markDelivered(seq: number): boolean {
    if (seq <= floor || delivered.has(seq)) return false;
    delivered.add(seq);
    if (delivered.size > 20_000) {
      const cut = [...delivered].sort((x, y) => x - y).slice(0, 10_000);
      for (const old of cut) delivered.delete(old);
      floor = Math.max(floor, cut.at(-1) ?? floor);
    }
    return true;
  }

  function deliver(notice: CaseEventNotice): void {
    for (const listener of [...listeners]) {
      try {
        const result = listener(notice);
        if (result) result.catch((err: unknown) => logger.error({ err }, "case event listener failed"));
      } catch (err) {
        logger.error({ err }, "case event listener failed");
      }
    }
  }

  type Row = { id: number; caseId: string; type: string; data: string; case: { queue: string } };
  function noticeOf(row: Row): CaseEventNotice {
    let fromQueue: string | undefined;
    if (row.type === "transferred") {
      try {
        const from = (JSON.parse(row.data) as { from?: unknown }).from;
        if (typeof from === "string") fromQueue = from;
      } catch {
        // no from queue: only the new queue hears of it
      }
    }
    const notice: CaseEventNotice = {
      seq: row.id,
      caseId: row.caseId,
      type: row.type as CaseEventType,
      queue: row.case.queue,
    };
    return fromQueue ? { ...notice, fromQueue } : notice;
  }

  const select = { id: true, caseId: true, type: true, data: true, case: { select: { queue: true } } } as const;

  // Every instance reads every event its consoles hear of, and publishes every one it commits:
  // on the adapter's connection as prepared statements, without the client's per-query compile.
  const sql = rawSqlOf(db);

  async function onSeq(seq: number): Promise<void> {
    highest = Math.max(highest, seq);
    if (!markDelivered(seq) || listeners.size === 0) return;
    const rows = await sql.query<{ id: number | string; caseId: string; type: string; data: string; queue: string }>(
      Prisma.sql`SELECT e."id", e."caseId", e."type", e."data", c."queue"
        FROM "CaseEvent" e JOIN "Case" c ON c."id" = e."caseId" WHERE e."id" = ${seq}`,
    );
    const row = rows[0];
    if (row) deliver(noticeOf({ ...row, id: Number(row.id), case: { queue: row.queue } }));
  }

  async function sweep(): Promise<void> {
    if (listeners.size === 0) return;
    const recent = await db.caseEvent.findMany({
      where: { id: { gt: floor } },
      orderBy: { id: "desc" },
      take: SWEEP_WINDOW,
      select: { id: true },
    });
    const missed = recent.map((r) => r.id).filter((id) => !delivered.has(id));
    if (missed.length === 0) return;
    const rows = await db.caseEvent.findMany({ where: { id: { in: missed } }, orderBy: { id: "asc" }, select });
    for (const row of rows) {
      if (!markDelivered(row.id)) continue;
      highest = Math.max(highest, row.id);
      deliver(noticeOf(row));
    }
  }

  async function catchUp(): Promise<void> {
    if (highest === 0 || listeners.size === 0) return;
    const rows = await db.caseEvent.findMany({
      where: { id: { gt: highest } },
      orderBy: { id: "asc" },
      take: CATCH_UP_LIMIT,
      select,
    });
    for (const row of rows) {
      highest = Math.max(highest, row.id);
      if (markDelivered(row.id)) deliver(noticeOf(row));
    }
  }

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: opts.url });
    const lost = (err?: Error) => {
      if (client !== c) return;
      if (err) logger.warn({ err }, "case event LISTEN connection lost");
      client = null;
      c.end().catch(() => {});
      scheduleReconnect();
    };
    c.on("notification", (msg) => {
      if (msg.channel !== channel) return;
      const seq = Number(msg.payload);
      if (!Number.isSafeInteger(seq) || seq <= 0) return;
      onSeq(seq).catch((err: unknown) => logger.error({ err }, "case event wake-up failed"));
    });
    c.on("error", lost);
    c.on("end", () => lost());
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      c.end().catch(() => {});
      throw err;
    }
    client = c;
    backoffMs = 100;
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (stopped) return;
      connect()
        .then(catchUp)
        .catch((err: unknown) => {
          logger.warn({ err }, "case event LISTEN reconnect failed");
          backoffMs = Math.min(backoffMs * 2, 10_000);
          scheduleReconnect();
        });
    }, backoffMs);
    reconnectTimer.unref();
  }

  return {
    async start() {
      stopped = false;
      const last = await db.caseEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
      highest = last?.id ?? 0;
      floor = highest;
      await connect();
      sweepTimer = setInterval(() => {
        sweep().catch((err: unknown) => logger.warn({ err }, "case event sweep failed"));
      }, SWEEP_MS);
      sweepTimer.unref();
    },
    async stop() {
      stopped = true;
      if (sweepTimer) clearInterval(sweepTimer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
    publish(notice) {
      // pg_notify: the payload as a bound parameter. Never blocks the caller.
      sql
        .execute(Prisma.sql`SELECT pg_notify(${channel}, ${String(notice.seq)})`)
        .catch((err: unknown) => logger.error({ err, seq: notice.seq }, "case event NOTIFY failed"));
    },
    subscribe(listener) {
      const entry: CaseEventListener = (n) => listener(n);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}

/** The app's bus: LISTEN/NOTIFY on PostgreSQL (several instances), in-process on SQLite (one instance). */
export async function createAppEventBus(app: FastifyInstance, db: Db, databaseUrl: string): Promise<EventBus> {
  if (databaseProvider(databaseUrl) !== "postgresql") {
    return createInProcessEventBus((err) => app.log.error({ err }, "case event listener failed"));
  }
  const bus = createPgNotifyEventBus({ url: databaseUrl, db, logger: app.log });
  await bus.start();
  app.addHook("onClose", async () => bus.stop());
  return bus;
}
