/**
 * Operations: GET /metrics (Prometheus text, one Registry per app) and
 * GET /readyz (503 unless the database answers and the knowledge index is
 * built; 503 while the app is closing, so a proxy stops sending traffic).
 *
 * Metrics: HTTP requests (rate and latency histogram by route pattern and
 * status), open cases by queue and severity (read from the database on each
 * scrape — every instance reports the same cluster-wide figure, so
 * aggregate with max, not sum), time from report to claim (observed on the
 * instance that served the claim), failed syncs of the shared rate-limit
 * counters (Redis or PostgreSQL out of reach: limits then hold per instance
 * only), event-loop delay and the process defaults.
 * /metrics is for the internal network: the proxy must not expose it.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "../db/prisma-client.ts";

export interface OpsOptions {
  db: Db;
  /** True once the knowledge index is built (it is before buildApp; a store may rebuild it). */
  knowledgeReady: () => boolean;
  /** Where the rate-limit counters live, and their failed syncs since start. */
  rateLimits: { where: string; failures(): number };
}

const CLAIM_ROUTE = "/api/staff/cases/:id/claim";

async function opsRoutesImpl(app: FastifyInstance, opts: OpsOptions): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const http = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by route pattern",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const timeToClaim = new Histogram({
    name: "case_time_to_claim_seconds",
    help: "From a case's creation to its claim",
    labelNames: ["queue", "severity"] as const,
    buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  new Gauge({
    name: "cases_open",
    help: "Open cases (new or claimed) by queue and severity, read from the database on scrape",
    labelNames: ["queue", "severity", "status"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await opts.db.case.groupBy({
        by: ["queue", "severity", "status"],
        where: { status: { in: ["new", "claimed"] } },
        _count: { _all: true },
      });
      for (const r of rows) this.set({ queue: r.queue, severity: r.severity, status: r.status }, r._count._all);
    },
  });

  new Counter({
    name: "rate_limit_sync_failures_total",
    help: "Failed syncs, sweeps and connections of the rate-limit counters, by where they live",
    labelNames: ["store"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ store: opts.rateLimits.where }, opts.rateLimits.failures());
    },
  });

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    http.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === CLAIM_ROUTE && request.method === "POST" && reply.statusCode === 200) {
      const id = (request.params as { id?: string }).id;
      if (!id) return;
      const c = await opts.db.case.findUnique({
        where: { id },
        select: { createdAt: true, claimedAt: true, queue: true, severity: true },
      });
      if (c?.claimedAt) {
        timeToClaim.observe(
          { queue: c.queue, severity: c.severity },
          Math.max(0, (c.claimedAt.getTime() - c.createdAt.getTime()) / 1000),
        );
      }
    }
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("Content-Type", registry.contentType);
    return registry.metrics();
  });

  app.get("/readyz", async (request, reply) => {
    if (closing) return reply.status(503).send({ status: "closing" });
    let database = "ok";
    try {
      await opts.db.$queryRawUnsafe("SELECT 1");
    } catch (err) {
      request.log.error({ err }, "readiness: database unreachable");
      database = "unreachable";
    }
    const index = opts.knowledgeReady() ? "ok" : "building";
    const ready = database === "ok" && index === "ok";
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "unavailable", database, index });
  });
}

/** Not encapsulated: the request hooks time every route of the app. */
export const opsRoutes = fp(opsRoutesImpl, { name: "fuer-ops", fastify: "5.x" });
