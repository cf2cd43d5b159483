/**
 * The OpenAPI 3 document of the resident API, generated from the routes' zod
 * schemas (fastify-type-provider-zod's jsonSchemaTransform), served at
 * GET /openapi.json and browsable at /docs (Swagger UI, assets served by the
 * plugin from node_modules — no CDN).
 *
 * What is in it: the public resident routes only (chat, search, history,
 * /ws/chat, the directory and hotlines, the report form, healthz, info). Staff,
 * admin and bot routes (/api/staff, /api/admin, /api/bot, /ws/staff) and the
 * pages are left out: they are same-origin, cookie + CSRF (or bearer token for
 * the bot) and documented in the README, not part of the mini-program's contract.
 *
 * Routes owned by other modules get their tags and Chinese/English text here
 * (ROUTE_DOCS), merged in when the document is built: the routes themselves
 * and their runtime behaviour are untouched. Register before any route:
 *
 *   await registerOpenApi(app);
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";

/** Paths of routes that are never in the public document. */
export function isInternalPath(url: string): boolean {
  return (
    /^\/api\/(staff|admin|bot)(\/|$)/.test(url) ||
    url === "/ws/staff" ||
    url === "/openapi.json" ||
    url.startsWith("/docs") ||
    // the pages and their assets
    !/^\/(api|ws)\/|^\/healthz$/.test(url)
  );
}

/** The public resident API: what the document must list (the test holds every such route to it). */
export function isPublicApiPath(url: string): boolean {
  return !isInternalPath(url);
}

type RouteDoc = {
  tags: string[];
  summary: string;
  description: string;
  /** Zod response schemas for routes that declare none (no effect on how they answer). */
  response?: Record<number, z.ZodType>;
  /** Non-JSON responses, e.g. a WebSocket upgrade: status → description. */
  emptyResponses?: Record<number, string>;
};

const WS_CHAT_DESCRIPTION = [
  "WebSocket。网页和小程序的实时对话；工作人员的回复也从这里推送。",
  "WebSocket for the web page and the mini-program; staff replies are pushed here too.",
  "",
  "Client → server frames (JSON text, at most 64 KiB):",
  '- `{ "type": "message", "text", "conversationId"?, "area"?, "channel"?: "web"|"miniprogram", "clientMessageId"? }`',
  '- `{ "type": "resume", "conversationId", "after"?: ISO-8601 }` — replays bot/staff replies after `after`, then live',
  '- `{ "type": "ping" }`',
  "",
  "Server → client frames:",
  '- `{ "type": "reply", "clientMessageId", ...the POST /api/chat response }`',
  '- `{ "type": "staff_reply", "role": "staff"|"bot", "id", "text", "at", "caseId" }`',
  '- `{ "type": "resumed", "conversationId", "count" }`, `{ "type": "pong" }`',
  '- `{ "type": "error", "code", "message" }` (same codes as HTTP; over 64 KiB: ERR_FRAME_TOO_LARGE, then close 1009)',
  "",
  "紧急回复（kind=urgent）必须原样显示，110 在最前。Show an urgent reply as-is, 110 first.",
].join("\n");

const healthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  database: z.enum(["ok", "unreachable"]),
  index: z.literal("ok"),
});

const ROUTE_DOCS: Record<string, RouteDoc> = {
  "POST /api/chat": {
    tags: ["chat"],
    summary: "发送一条消息 / Send a message",
    description:
      "居民的问题或求助。每条消息先经过风险分诊：报告危险时先把案件写入数据库，再返回安全提示（kind=urgent，escalation 不为空），" +
      "必须原样显示，110 在最前。conversationId 是对话的凭据（不记名），请只保存在居民自己的设备上。" +
      "clientMessageId 让重试幂等。\n\n" +
      "A resident's question or report. Every message is triaged first: a report of danger commits a case before " +
      "the reply (kind=urgent, escalation set), which must be shown as-is, 110 first. conversationId is a bearer " +
      "secret: keep it on the resident's device only. clientMessageId makes a retry idempotent.",
  },
  "GET /api/search": {
    tags: ["chat"],
    summary: "搜索规划条文和服务 / Search plan clauses and services",
    description:
      "在妇女、儿童发展规划条文和服务目录中搜索，按相关度排序。\n\n" +
      "Scored plan clauses and directory entries for a query.",
  },
  "GET /api/chat/history": {
    tags: ["chat"],
    summary: "对话记录 / Conversation history",
    description:
      "一个对话的消息（最多 200 条，按时间顺序），包括工作人员的回复。conversationId 就是凭据；不存在或已过期返回 404。\n\n" +
      "The conversation's messages (up to 200, in order), staff replies included. The conversationId is the " +
      "bearer secret; unknown or purged is 404 ERR_CONVERSATION_NOT_FOUND.",
  },
  "POST /api/chat/feedback": {
    tags: ["chat"],
    summary: "对回答的评价 / Feedback on an answer",
    description:
      "居民对一条机器人回复点“有用/没用”（messageId 来自 POST /api/chat 的回复）。\n\n" +
      "A resident's helpful / not helpful on one bot reply (messageId from the POST /api/chat response).",
  },
  "GET /ws/chat": {
    tags: ["websocket"],
    summary: "实时对话（WebSocket）/ Live chat (WebSocket)",
    description: WS_CHAT_DESCRIPTION,
    emptyResponses: { 101: "Switching Protocols: the WebSocket is open." },
  },
  "GET /healthz": {
    tags: ["system"],
    summary: "健康检查 / Health check",
    description: "数据库可用时 200，否则 503。\n\n200 when the database answers, else 503.",
    response: { 200: healthSchema, 503: healthSchema },
  },
  "GET /api/info": {
    tags: ["system"],
    summary: "服务信息 / About the service",
    description: "服务名称、紧急电话和热线号码。\n\nThe service's name, the emergency number and the hotlines.",
    response: {
      200: z.object({ service: z.string(), emergency: z.literal("110"), hotlines: z.array(z.string()) }),
    },
  },
};

export const OPENAPI_TAGS = [
  { name: "chat", description: "对话与搜索 / Chat and search" },
  { name: "websocket", description: "实时连接 / Live connections" },
  { name: "directory", description: "服务目录与热线 / Directory and hotlines" },
  { name: "reports", description: "求助表单 / Structured report form" },
  { name: "system", description: "运行状态 / Health and info" },
];

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

function methodsOf(route: TransformInput["route"]): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
}

/** Hides internal routes, merges ROUTE_DOCS, then lets jsonSchemaTransform turn zod into JSON Schema. */
export function documentRoute(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const { url, route } = input;
  if (isInternalPath(url)) return { schema: { hide: true }, url };
  const doc = methodsOf(route)
    .map((m) => ROUTE_DOCS[`${m} ${url}`])
    .find((d) => d !== undefined);
  if (!doc) return jsonSchemaTransform(input);
  // @fastify/websocket hides its routes; a documented one (/ws/chat) is shown, as a WebSocket.
  const { hide: _hidden, ...base } = (input.schema ?? {}) as Record<string, unknown>;
  const merged = {
    ...base,
    tags: (base.tags as string[] | undefined) ?? doc.tags,
    summary: (base.summary as string | undefined) ?? doc.summary,
    description: (base.description as string | undefined) ?? doc.description,
    ...(base.response === undefined && doc.response ? { response: doc.response } : {}),
  };
  const out = jsonSchemaTransform({ ...input, schema: merged as TransformInput["schema"] });
  if (doc.emptyResponses) {
    const schema = out.schema as Record<string, unknown>;
    const response = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
    for (const [status, description] of Object.entries(doc.emptyResponses))
      response[status] = { type: "null", description };
    schema.response = response;
  }
  return out;
}

/**
 * /docs gets its own Content-Security-Policy, still self-only: Swagger UI sets
 * inline styles and uses data: images; nothing is loaded from another origin.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "济源妇儿服务助手 API / Jiyuan Women's and Children's Service Assistant",
        version: "1",
        description:
          "居民 API（网页、微信小程序）。不需要登录：匿名求助必须可行。conversationId 是对话凭据；" +
          "按对话和地址限流（ERR_RATE_LIMITED）。错误一律为 { code, message }，message 为中文。" +
          "紧急回复必须原样显示，110 在最前。见 docs/miniprogram.md。\n\n" +
          "The resident API (web page, WeChat mini-program). Unauthenticated by design — anonymous help must be " +
          "possible; conversationId is a bearer secret; rate limited per conversation and per address. Errors are " +
          "{ code, message } with a Chinese message. Show urgent replies as-is, 110 first.",
      },
      tags: OPENAPI_TAGS,
      components: { schemas: {} },
    },
    transform: documentRoute,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    staticCSP: DOCS_CSP,
    // No badge fetched from validator.swagger.io.
    uiConfig: { validatorUrl: null, deepLinking: false },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
