/**
 * Building blocks for the demo and the tests: a chat service from the
 * knowledge, a bare server with only the bot API, and a bot on the mock
 * puppet whose log lines are kept for privacy checks. Never used in production.
 */
import { Writable } from "node:stream";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Knowledge } from "../../../src/app.ts";
import { wechatChannel } from "../../../src/channels/wechat/wechat-plugin.ts";
import { type ChatService, createChatService } from "../../../src/chat/chat-service.ts";
import type { Db } from "../../../src/db/prisma-client.ts";
import { installErrorHandlers } from "../../../src/shared/error-handler.ts";
import { createLogger } from "../../../src/shared/logger.ts";
import type { CoreClient } from "../core-client.ts";
import { type RunningWechatBot, type StartWechatBotOptions, startWechatBot } from "../run.ts";
import { createMockWorld, type MockWorld } from "./mock-world.ts";

export function chatServiceFor(db: Db, knowledge: Knowledge, retentionDays = 30): ChatService {
  return createChatService({
    db,
    triage: knowledge.triage,
    answer: knowledge.answer,
    safetyReply: knowledge.safetyReply,
    queueFor: knowledge.queueFor,
    resolveArea: knowledge.resolveArea,
    retentionDays,
  });
}

/** Collects log lines (for assertions that no contact data is logged). */
export function logCollector() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger("info", sink) };
}

/** A server with only the WeChat channel, on a given database (as `buildApp` would mount it). */
export async function buildBotApiServer(options: {
  db: Db;
  chat: ChatService;
  token: string;
  logLines?: string[];
}): Promise<FastifyInstance> {
  const sink = new Writable({
    write(chunk, _enc, done) {
      options.logLines?.push(String(chunk));
      done();
    },
  });
  const logger: FastifyBaseLogger = createLogger("info", sink);
  const app = Fastify({ loggerInstance: logger });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  await app.register(wechatChannel, { db: options.db, chat: options.chat, botApiToken: options.token });
  await app.ready();
  return app;
}

export interface MockBot {
  world: MockWorld;
  running: RunningWechatBot;
  logs: string[];
}

/** A bot on the mock puppet, started and logged in. */
export async function startMockBot(
  options: { core: CoreClient; idSecret: string } & Partial<Omit<StartWechatBotOptions, "wechaty" | "logger">>,
): Promise<MockBot> {
  const world = createMockWorld();
  const { lines, logger } = logCollector();
  const started = new Promise<void>((resolve) => world.wechaty.once("start", () => resolve()));
  const running = startWechatBot({ ...options, wechaty: world.wechaty, logger });
  await started;
  await world.login();
  return { world, running, logs: lines };
}
