import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";

import { z } from "zod";
import { adminPlugin, type KnowledgeStore } from "./admin/admin-plugin.ts";
import type { EventBus } from "./cases/case-events-bus.ts";
import { casesPlugin } from "./cases/case-plugin.ts";
import { createAppEventBus } from "./cases/pg-notify-bus.ts";
import { loadQueueCatalog, type QueueCatalog } from "./cases/queue-catalog.ts";
import { staffPageRoutes } from "./channels/staff/staff-page-routes.ts";
import { webRoutes } from "./channels/web/web-routes.ts";
import { wechatChannel } from "./channels/wechat/wechat-plugin.ts";
import { chatRoutes } from "./chat/chat-routes.ts";
import { createChatService } from "./chat/chat-service.ts";
import type { AnswerFn, CaseCategory, SafetyReplyFn, TriageFn } from "./chat/chat-types.ts";
import { chatWsRoutes } from "./chat/chat-ws.ts";
import { type ConversationHub, createConversationHub } from "./chat/conversation-hub.ts";
import { createResidentDelivery, historyRoutes } from "./chat/resident-delivery.ts";
import { createResidentLimiter } from "./chat/resident-limiter.ts";
import type { SearchFn } from "./chat/search-types.ts";
import type { AppConfig } from "./config/config.ts";
import type { Db } from "./db/prisma-client.ts";
import type { AreaDef, ServiceEntry } from "./knowledge/knowledge-types.ts";
import { directorySource } from "./miniprogram/directory-routes.ts";
import { miniprogramRoutes } from "./miniprogram/miniprogram-plugin.ts";
import { registerResidentCors } from "./miniprogram/resident-cors.ts";
import { installErrorHandlers } from "./shared/error-handler.ts";
import { closeSocketsForRestart, drainConnectionsOnClose } from "./shared/graceful-shutdown.ts";
import { healthRoutes, infoRoutes } from "./shared/health-routes.ts";
import { registerOpenApi } from "./shared/openapi.ts";
import { opsRoutes } from "./shared/ops-plugin.ts";
import { createRateLimits } from "./shared/rate-limits.ts";
import { registerSecurityHeaders } from "./shared/security-headers.ts";
import { staffPlugin } from "./staff/staff-plugin.ts";

// Residents read validation messages: Chinese.
z.config(z.locales.zhCN());

/** Everything the app answers from, built from `knowledge/` (see knowledge/load-knowledge.ts). */
export interface Knowledge {
  triage: TriageFn;
  answer: AnswerFn;
  safetyReply: SafetyReplyFn;
  search: SearchFn;
  queueFor: (category: CaseCategory) => string;
  resolveArea: (area: string) => string | null;
  /** The service directory and the 16 街道/镇, read through a getter so a rebuilt knowledge can swap them (without it: read from knowledge/ once). */
  directory?: () => { entries: readonly ServiceEntry[]; areas: readonly AreaDef[] };
}

export interface AppDeps {
  config: AppConfig;
  db: Db;
  knowledge: Knowledge;
  /** Live knowledge (admin edits, curated answers); when given, `knowledge` should be its `knowledge` and /api/admin is mounted. */
  knowledgeStore?: KnowledgeStore;
  logger: FastifyBaseLogger;
  hub?: ConversationHub;
  /** Case-event wake-ups for staff consoles; in-process unless given (PostgreSQL LISTEN/NOTIFY later). */
  bus?: EventBus;
  /** Queue names and staffed hours; knowledge/triage/queues.yaml + knowledge/queues/schedules.yaml unless given. */
  queues?: QueueCatalog;
  /** Clock for chat, cases, SLA and retention (tests). */
  now?: () => Date;
  /** SLA monitor and retention timers; off in tests that run their passes by hand. */
  timers?: boolean;
}

/**
 * Hard cap on a WebSocket frame: frames between the contract's 64 KiB and this
 * get a readable error before the close; beyond it the socket library closes
 * with 1009 without buffering the rest.
 */
const WS_HARD_CAP = 1024 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    trustProxy: deps.config.TRUST_PROXY,
    bodyLimit: 64 * 1024,
    // Residents on slow mobile links still finish a request well inside this.
    requestTimeout: 30_000,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);

  registerSecurityHeaders(app);

  // Before any route: the OpenAPI document collects routes as they are added; CORS for the resident API only.
  await registerOpenApi(app);
  await registerResidentCors(app, deps.config.CORS_ORIGINS);

  // Residents' messages and staff logins count in one set of counters; shared across instances on
  // PostgreSQL or Redis (src/shared/rate-limits.ts).
  const rateLimits = await createRateLimits({
    db: deps.db,
    redisUrl: deps.config.REDIS_URL,
    onError: (err) => app.log.warn({ err }, "rate limit counters: sync, sweep or connection failed"),
    ...(deps.now ? { now: deps.now } : {}),
  });
  app.addHook("onClose", () => rateLimits.close());
  await app.register(staffPlugin, {
    db: deps.db,
    loginLimiter: rateLimits.limiter,
    ...(deps.now ? { now: deps.now } : {}),
  });
  drainConnectionsOnClose(app);
  // On close, sockets get 1012 (service restart) so clients reconnect elsewhere.
  await app.register(websocket, { options: { maxPayload: WS_HARD_CAP }, preClose: closeSocketsForRestart });

  const hub = deps.hub ?? createConversationHub();
  const limiter = createResidentLimiter(deps.config.RATE_LIMIT_PER_MINUTE, rateLimits.limiter);
  const queues = deps.queues ?? loadQueueCatalog();
  const bus = deps.bus ?? (await createAppEventBus(app, deps.db, deps.config.DATABASE_URL));
  const delivery = createResidentDelivery({ db: deps.db, hub });

  const chat = createChatService({
    db: deps.db,
    triage: deps.knowledge.triage,
    answer: deps.knowledge.answer,
    safetyReply: deps.knowledge.safetyReply,
    queueFor: deps.knowledge.queueFor,
    resolveArea: deps.knowledge.resolveArea,
    retentionDays: deps.config.CONVERSATION_RETENTION_DAYS,
    bus,
    hours: queues,
    ...(deps.now ? { now: deps.now } : {}),
  });
  await app.register(wechatChannel, { db: deps.db, chat, botApiToken: deps.config.BOT_API_TOKEN, now: deps.now });

  await app.register(healthRoutes, { db: deps.db });
  await app.register(opsRoutes, {
    db: deps.db,
    knowledgeReady: () => deps.knowledge !== undefined,
    rateLimits: { where: rateLimits.where, failures: rateLimits.failures },
  });
  await app.register(infoRoutes);
  await app.register(chatRoutes, { chat, search: deps.knowledge.search, limiter });
  await app.register(chatWsRoutes, { chat, limiter, hub, db: deps.db });
  await app.register(historyRoutes, { db: deps.db, limiter });
  await app.register(miniprogramRoutes, {
    db: deps.db,
    chat,
    limiter,
    directory: directorySource(deps.knowledge.directory, deps.config.DIRECTORY_OVERRIDES),
    conversationRetentionDays: deps.config.CONVERSATION_RETENTION_DAYS,
    caseRetentionDays: deps.config.CASE_RETENTION_DAYS,
  });
  await app.register(casesPlugin, {
    db: deps.db,
    catalog: queues,
    bus,
    delivery,
    caseRetentionDays: deps.config.CASE_RETENTION_DAYS,
    now: deps.now,
    timers: deps.timers,
  });
  await app.register(webRoutes);
  await app.register(staffPageRoutes);
  await app.register(adminPlugin, { db: deps.db, limiter, store: deps.knowledgeStore, now: deps.now });
  return app;
}
