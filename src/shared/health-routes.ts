import type { FastifyInstance } from "fastify";
import type { Db } from "../db/prisma-client.ts";

/**
 * Liveness: 200 whenever the process serves HTTP, with the database's state
 * for information (a restart does not fix a database outage, so an orchestrator
 * must not kill instances over it). Readiness — database answers and knowledge
 * index built, 503 otherwise and while shutting down — is GET /readyz
 * (src/shared/ops-plugin.ts): route traffic by that one.
 */
export async function healthRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.get("/healthz", async (request, reply) => {
    try {
      await opts.db.$queryRawUnsafe("SELECT 1");
      return { status: "ok", database: "ok", index: "ok" };
    } catch (err) {
      request.log.error({ err }, "health check: database unreachable");
      return reply.status(200).send({ status: "ok", database: "unreachable", index: "ok" });
    }
  });
}

/** A trivial JSON route: what this service is. Also the baseline the benchmark compares /api/chat with. */
export async function infoRoutes(app: FastifyInstance): Promise<void> {
  app.get("/api/info", async () => ({
    service: "济源妇儿服务助手",
    emergency: "110",
    hotlines: ["110", "120", "12338", "12355", "12348", "12345", "12356"],
  }));
}
