import fp from "fastify-plugin";
import type { ChatService } from "../../chat/chat-service.ts";
import type { Db } from "../../db/prisma-client.ts";
import { MIN_BOT_TOKEN_LENGTH } from "./bot-auth-fns.ts";
import { wechatBotRoutes } from "./wechat-routes.ts";
import { createWechatStore, type WechatStore } from "./wechat-store.ts";

export { createWechatStore, type WechatStore } from "./wechat-store.ts";

export interface WechatChannelOptions {
  db: Db;
  /** The app's chat service: WeChat messages get the same triage and answers as the web chat. */
  chat: ChatService;
  /** BOT_API_TOKEN; without it the /api/bot/wechat routes are not registered at all. */
  botApiToken?: string | undefined;
  now?: () => Date;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The WeChat channel's store: what a bot running inside the service calls directly. */
    wechatStore: WechatStore;
  }
}

/**
 * The WeChat channel on the server: exposes `app.wechatStore` (for the bot
 * inside the service, WECHAT_BOT=on) and, when a token is configured, the bot
 * API for a bot in its own process.
 */
export const wechatChannel = fp<WechatChannelOptions>(
  async (app, opts) => {
    const store = createWechatStore({ db: opts.db, chat: opts.chat, ...(opts.now ? { now: opts.now } : {}) });
    app.decorate("wechatStore", store);
    if (opts.botApiToken) {
      if (opts.botApiToken.length < MIN_BOT_TOKEN_LENGTH) {
        throw new Error(`BOT_API_TOKEN must be at least ${MIN_BOT_TOKEN_LENGTH} characters`);
      }
      await app.register(wechatBotRoutes, { store, token: opts.botApiToken });
    }
  },
  { name: "wechat-channel", fastify: "5.x" },
);
