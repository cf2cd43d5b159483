import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errorBodySchema } from "../../chat/chat-schemas.ts";
import { AppError } from "../../shared/errors.ts";
import { bearerMatches } from "./bot-auth-fns.ts";
import {
  botMessageSchema,
  chatResponseSchema,
  failureBodySchema,
  leaseQuerySchema,
  leaseResponseSchema,
  okSchema,
  outboundIdParamsSchema,
} from "./wechat-schemas.ts";
import type { WechatStore } from "./wechat-store.ts";

export interface WechatBotRoutesOptions {
  store: WechatStore;
  /** BOT_API_TOKEN: the bot presents it as `Authorization: Bearer …`. */
  token: string;
}

const BODY_LIMIT = 16 * 1024;
const unauthorized = () => new AppError("ERR_BOT_UNAUTHORIZED", "机器人接口认证失败。", 401);

/**
 * The API a WeChat bot on another machine uses: a resident's message in, the
 * chat reply out; pending staff replies leased out and acknowledged once sent.
 * Not for residents: every route needs the bot's bearer token.
 */
export const wechatBotRoutes: FastifyPluginAsyncZod<WechatBotRoutesOptions> = async (app, opts) => {
  app.addHook("onRequest", async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, opts.token)) {
      reply.header("WWW-Authenticate", 'Bearer realm="wechat-bot"');
      throw unauthorized();
    }
  });

  app.post(
    "/api/bot/wechat/messages",
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        body: botMessageSchema,
        response: { 200: chatResponseSchema, 400: errorBodySchema, 401: errorBodySchema, 413: errorBodySchema },
      },
    },
    async (request) => {
      const response = await opts.store.handleMessage(request.body);
      request.log.info(
        {
          event: "wechat.message",
          group: request.body.isGroup,
          conversationId: response.conversationId,
          kind: response.kind,
        },
        "wechat message handled",
      );
      return response;
    },
  );

  app.get(
    "/api/bot/wechat/outbound",
    {
      schema: {
        querystring: leaseQuerySchema,
        response: { 200: leaseResponseSchema, 400: errorBodySchema, 401: errorBodySchema },
      },
    },
    async (request) => {
      const { botId, limit, leaseSeconds } = request.query;
      const items = await opts.store.leaseOutbound({ botId, limit, leaseMs: leaseSeconds * 1000 });
      if (items.length > 0)
        request.log.info({ event: "wechat.outbound.leased", count: items.length }, "outbound leased");
      return { items };
    },
  );

  app.post(
    "/api/bot/wechat/outbound/:id/sent",
    {
      schema: {
        params: outboundIdParamsSchema,
        response: { 200: okSchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      await opts.store.markSent(request.params.id);
      request.log.info({ event: "wechat.outbound.sent", outboundId: request.params.id }, "outbound sent");
      return { ok: true as const };
    },
  );

  app.post(
    "/api/bot/wechat/outbound/:id/failed",
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        params: outboundIdParamsSchema,
        body: failureBodySchema,
        response: { 200: okSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const { error, retryAfterSeconds, giveUp } = request.body;
      await opts.store.markFailed(request.params.id, { error, retryAfterMs: retryAfterSeconds * 1000, giveUp });
      request.log.warn(
        { event: "wechat.outbound.failed", outboundId: request.params.id, error, giveUp: giveUp === true },
        "outbound send failed",
      );
      return { ok: true as const };
    },
  );
};
