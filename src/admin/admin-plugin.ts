import type { FastifyInstance } from "fastify";
import { adminPageRoutes } from "../channels/admin/admin-page-routes.ts";
import type { ResidentLimiter } from "../chat/resident-limiter.ts";
import type { Db } from "../db/prisma-client.ts";
import { adminRoutes, feedbackRoutes } from "./admin-routes.ts";
import { createAdminService } from "./admin-service.ts";
import type { KnowledgeStore } from "./knowledge-store.ts";

export type { KnowledgeStore } from "./knowledge-store.ts";

export interface AdminPluginOptions {
  db: Db;
  /** The residents' rate limit (per conversation and address), shared with chat. */
  limiter: ResidentLimiter;
  /** The live knowledge; without it the admin API is not mounted (the page and feedback still are). */
  store?: KnowledgeStore | undefined;
  now?: (() => Date) | undefined;
}

/** Administration (directory, knowledge gaps, statistics), the /admin page, and residents' 👍/👎. */
export async function adminPlugin(app: FastifyInstance, opts: AdminPluginOptions): Promise<void> {
  await app.register(feedbackRoutes, { db: opts.db, limiter: opts.limiter });
  await app.register(adminPageRoutes);
  if (opts.store) {
    const admin = createAdminService({ db: opts.db, store: opts.store, ...(opts.now ? { now: opts.now } : {}) });
    await app.register(adminRoutes, { admin, now: opts.now });
  }
}
