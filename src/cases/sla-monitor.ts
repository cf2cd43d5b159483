/**
 * Every 15 s: unclaimed cases past their claim deadline get one `sla_breached`
 * event per deadline, which the staff socket pushes to the queue's members and
 * to every supervisor and admin (they see all queues). The event is the
 * record that the alert fired, so a restart does not alert twice.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Severity } from "../chat/chat-types.ts";
import { JOB_SLA_MONITOR, tryJobLock } from "../db/job-lock.ts";
import { type Db, providerOf } from "../db/prisma-client.ts";
import type { EventBus } from "./case-events-bus.ts";
import { parseJsonObject } from "./case-fns.ts";
import { dueBreach, possiblyDue, SLA_CHECK_INTERVAL_MS, SLA_CLOCK_EVENTS, waitingSince } from "./sla-fns.ts";

export interface SlaMonitorDeps {
  db: Db;
  bus: EventBus;
  logger: FastifyBaseLogger;
  now?: () => Date;
  intervalMs?: number;
}

export interface SlaMonitor {
  /** One pass; returns the ids of the cases alerted. Passes never overlap. */
  check(at?: Date): Promise<string[]>;
  start(): void;
  stop(): void;
}

export function createSlaMonitor(deps: SlaMonitorDeps): SlaMonitor {
  const { db, bus, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const provider = providerOf(db);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | null = null;

  async function pass(at: Date): Promise<string[]> {
    const candidates = {
      status: "new",
      OR: possiblyDue(at).map((d) => ({ severity: d.severity, createdAt: { lte: d.createdAtMost } })),
    };
    const waiting = await db.case.findMany({
      where: candidates,
      select: { id: true, queue: true, severity: true, createdAt: true },
    });
    if (waiting.length === 0) return [];
    // A join, not `caseId IN (…ids)`: with thousands of waiting cases the id list exceeded
    // SQLite's bound-parameter limit and the pass failed (found under load, npm run load).
    const events = await db.caseEvent.findMany({
      where: { case: candidates, type: { in: [...SLA_CLOCK_EVENTS, "sla_breached"] } },
      select: { caseId: true, type: true, data: true, createdAt: true },
      orderBy: { id: "asc" },
    });
    const byCase = new Map<string, typeof events>();
    for (const e of events) {
      const list = byCase.get(e.caseId) ?? [];
      list.push(e);
      byCase.set(e.caseId, list);
    }
    const alerted: string[] = [];
    for (const c of waiting) {
      const list = byCase.get(c.id) ?? [];
      const since = waitingSince(
        c.createdAt,
        list.filter((e) => e.type !== "sla_breached").map((e) => ({ at: e.createdAt })),
      );
      const already = list
        .filter((e) => e.type === "sla_breached" && e.createdAt.getTime() >= since.getTime())
        .map((e) => parseJsonObject(e.data).deadline)
        .filter((d): d is string => typeof d === "string");
      const severity = c.severity as Severity;
      const deadline = dueBreach({ status: "new", severity, waitingSince: since, alerted: already }, at);
      if (!deadline) continue;
      const seq = await db.$transaction(async (tx) => {
        // Several instances: one alerts this case, the others skip it (src/db/job-lock.ts).
        if (!(await tryJobLock(tx, provider, JOB_SLA_MONITOR, c.id))) return null;
        // Still unclaimed and not alerted meanwhile (a claim or another instance may have won).
        const still = await tx.case.count({ where: { id: c.id, status: "new", queue: c.queue } });
        if (still === 0) return null;
        const dup = await tx.caseEvent.count({
          where: {
            caseId: c.id,
            type: "sla_breached",
            createdAt: { gte: since },
            data: { contains: deadline.toISOString() },
          },
        });
        if (dup > 0) return null;
        const event = await tx.caseEvent.create({
          data: {
            caseId: c.id,
            type: "sla_breached",
            data: JSON.stringify({ deadline: deadline.toISOString(), severity, waitingSince: since.toISOString() }),
            createdAt: at,
          },
        });
        return event.id;
      });
      if (seq === null) continue;
      logger.warn({ caseId: c.id, queue: c.queue, severity }, "case unclaimed past its deadline");
      bus.publish({ seq, caseId: c.id, type: "sla_breached", queue: c.queue });
      alerted.push(c.id);
    }
    return alerted;
  }

  function check(at?: Date): Promise<string[]> {
    if (running) return running;
    running = pass(at ?? now()).finally(() => {
      running = null;
    });
    return running;
  }

  return {
    check,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        check().catch((err: unknown) => logger.error({ err }, "SLA check failed"));
      }, deps.intervalMs ?? SLA_CHECK_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
