import type { FastifyInstance } from "fastify";
import type { Db } from "../db/prisma-client.ts";

/**
 * 200 when the app can serve: the database answers. The knowledge index is
 * built before the app is constructed, so a running app always has it.
 */
export async function healthRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.get("/healthz", async (request, reply) => {
    try {
      await opts.db.$queryRawUnsafe("SELECT 1");
      return { status: "ok", database: "ok", index: "ok" };
    } catch (err) {
      request.log.error({ err }, "health check: database unreachable");
      return reply.status(503).send({ status: "unavailable", database: "unreachable", index: "ok" });
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
