/**
 * Cases, wired: the service, the staff API and live socket, the SLA monitor and
 * the retention job (both stopped when the app closes). Register after the
 * staff plugin and @fastify/websocket:
 *
 *   await app.register(casesPlugin, { db, catalog, bus, delivery, caseRetentionDays });
 *
 * Exposes `app.cases`, `app.slaMonitor` and `app.retention` (tests drive the
 * timers' single passes through them with their own clock).
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ResidentDelivery } from "../chat/resident-delivery.ts";
import type { Db } from "../db/prisma-client.ts";
import type { EventBus } from "./case-events-bus.ts";
import { caseRoutes } from "./case-routes.ts";
import { type CaseService, createCaseService } from "./case-service.ts";
import type { QueueCatalog } from "./queue-catalog.ts";
import { createRetentionJob, type RetentionJob } from "./retention-job.ts";
import { createSlaMonitor, type SlaMonitor } from "./sla-monitor.ts";
import { staffWsRoutes } from "./staff-ws.ts";

export interface CasesPluginOptions {
  db: Db;
  catalog: QueueCatalog;
  bus: EventBus;
  delivery: ResidentDelivery;
  caseRetentionDays: number;
  now?: (() => Date) | undefined;
  /** Off in tests that drive `app.slaMonitor.check()` and `app.retention.runNow()` themselves. */
  timers?: boolean | undefined;
}

declare module "fastify" {
  interface FastifyInstance {
    cases: CaseService;
    slaMonitor: SlaMonitor;
    retention: RetentionJob;
  }
}

async function casesPluginImpl(app: FastifyInstance, opts: CasesPluginOptions): Promise<void> {
  const cases = createCaseService({
    db: opts.db,
    catalog: opts.catalog,
    bus: opts.bus,
    delivery: opts.delivery,
    now: opts.now,
  });
  const slaMonitor = createSlaMonitor({ db: opts.db, bus: opts.bus, logger: app.log, now: opts.now });
  const retention = createRetentionJob({
    db: opts.db,
    caseRetentionDays: opts.caseRetentionDays,
    purgeSessions: () => app.staffService.purgeSessions(),
    logger: app.log,
    now: opts.now,
  });
  app.decorate("cases", cases);
  app.decorate("slaMonitor", slaMonitor);
  app.decorate("retention", retention);

  await app.register(caseRoutes, { cases });
  await app.register(staffWsRoutes, { cases, bus: opts.bus });

  if (opts.timers !== false) {
    app.addHook("onReady", async () => {
      slaMonitor.start();
      retention.start();
    });
  }
  app.addHook("onClose", async () => {
    slaMonitor.stop();
    retention.stop();
  });
}

export const casesPlugin = fp(casesPluginImpl, {
  name: "fuer-cases",
  fastify: "5.x",
  dependencies: ["fuer-staff"],
});
