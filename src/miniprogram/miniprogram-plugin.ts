/**
 * The mini-program API: the directory, the hotlines and the structured report
 * form (docs/miniprogram.md). Chat, search, history and /ws/chat are the
 * shared resident routes in src/chat.
 *
 *   await app.register(miniprogramRoutes, { db, chat, limiter, directory, consent });
 */
import type { FastifyInstance } from "fastify";
import type { ChatService } from "../chat/chat-service.ts";
import type { ResidentLimiter } from "../chat/resident-limiter.ts";
import type { Db } from "../db/prisma-client.ts";
import { type ConsentOptions, consentDocument } from "./consent.ts";
import { type DirectorySource, directoryRoutes } from "./directory-routes.ts";
import { reportRoutes } from "./report-routes.ts";

export interface MiniprogramOptions extends ConsentOptions {
  db: Db;
  chat: ChatService;
  limiter: ResidentLimiter;
  directory: DirectorySource;
}

export async function miniprogramRoutes(app: FastifyInstance, opts: MiniprogramOptions): Promise<void> {
  await app.register(directoryRoutes, { directory: opts.directory, limiter: opts.limiter });
  await app.register(reportRoutes, {
    db: opts.db,
    chat: opts.chat,
    limiter: opts.limiter,
    directory: opts.directory,
    consent: consentDocument(opts),
  });
}
