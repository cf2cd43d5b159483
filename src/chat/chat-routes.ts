import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { acceptChatRequest } from "./chat-intake.ts";
import {
  chatRequestSchema,
  chatResponseSchema,
  errorBodySchema,
  searchQuerySchema,
  searchResponseSchema,
} from "./chat-schemas.ts";
import type { ChatService } from "./chat-service.ts";
import type { ResidentLimiter } from "./resident-limiter.ts";
import type { SearchFn } from "./search-types.ts";

export interface ChatRoutesOptions {
  chat: ChatService;
  search: SearchFn;
  limiter: ResidentLimiter;
}

/** A chat message is small; a 1 MB body is refused before it is parsed. */
const CHAT_BODY_LIMIT = 16 * 1024;

export const chatRoutes: FastifyPluginAsyncZod<ChatRoutesOptions> = async (app, opts) => {
  app.post(
    "/api/chat",
    {
      bodyLimit: CHAT_BODY_LIMIT,
      schema: {
        body: chatRequestSchema,
        response: { 200: chatResponseSchema, 400: errorBodySchema, 413: errorBodySchema, 429: errorBodySchema },
      },
    },
    async (request) => {
      await opts.limiter.check(request.ip, request.body.conversationId);
      const accepted = acceptChatRequest(request.body);
      return opts.chat.handle(accepted);
    },
  );

  app.get(
    "/api/search",
    { schema: { querystring: searchQuerySchema, response: { 200: searchResponseSchema, 400: errorBodySchema } } },
    async (request) => {
      await opts.limiter.check(request.ip, undefined);
      const { q, type, area, limit } = request.query;
      return { results: opts.search(q, { type, area: area ?? null, limit }) };
    },
  );
};
