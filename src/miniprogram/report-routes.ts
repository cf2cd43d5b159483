/**
 * The structured report form: GET /api/reports/consent (the versioned consent
 * text) and POST /api/reports. A form report takes a chat report's path through
 * the chat service — conversation, resident message, case (`source: "form"`) and
 * its `created` event in one transaction, the bus notice that puts it on the
 * staff consoles live, and the same safety reply — with the chosen category as
 * the case's and severity at least `urgent`. Rate limited like chat.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { caseErrors } from "../cases/case-errors.ts";
import { acceptChatRequest } from "../chat/chat-intake.ts";
import { chatResponseSchema, errorBodySchema } from "../chat/chat-schemas.ts";
import type { ChatService } from "../chat/chat-service.ts";
import type { ResidentLimiter } from "../chat/resident-limiter.ts";
import type { Db } from "../db/prisma-client.ts";
import type { ConsentDocument } from "./consent.ts";
import { resolveArea, unknownAreaMessage } from "./directory-fns.ts";
import type { DirectorySource } from "./directory-routes.ts";
import { miniprogramErrors } from "./miniprogram-errors.ts";
import { formMessageText } from "./report-fns.ts";
import { consentResponseSchema, reportRequestSchema } from "./report-schemas.ts";

export interface ReportRoutesOptions {
  db: Db;
  chat: ChatService;
  limiter: ResidentLimiter;
  directory: DirectorySource;
  consent: ConsentDocument;
}

/** Like a chat message: a form is small; a large body is refused before it is parsed. */
const REPORT_BODY_LIMIT = 16 * 1024;

export const reportRoutes: FastifyPluginAsyncZod<ReportRoutesOptions> = async (app, opts) => {
  app.get(
    "/api/reports/consent",
    {
      schema: {
        tags: ["reports"],
        summary: "求助表单的个人信息处理说明 / Consent text for the report form",
        description:
          "提交表单前必须向居民完整展示并取得同意；提交时在 consent.textVersion 中带上这里的 version。" +
          "文字变化时 version 随之变化。\n\n" +
          "Show in full and get consent before submitting; send this version as consent.textVersion. " +
          "The version changes whenever the text does (PIPL: separate consent for sensitive personal information).",
        response: { 200: consentResponseSchema },
      },
    },
    async () => opts.consent,
  );

  app.post(
    "/api/reports",
    {
      bodyLimit: REPORT_BODY_LIMIT,
      schema: {
        tags: ["reports"],
        summary: "提交求助表单 / Submit a structured report",
        description:
          "结构化求助：和聊天里的求助走同一条路径——先把案件写入数据库，工作台实时看到，再返回安全提示（kind=urgent）。" +
          "案件类别取居民选择的类别，紧急程度至少为 urgent。回复必须原样显示（110 在最前）。" +
          "contact.method=this_chat 时表单进入已有对话（对话中有未结案件时并入该案件）。" +
          "consent.textVersion 过期返回 409 ERR_CONSENT_OUTDATED。\n\n" +
          "A structured report takes a chat report's path: the case is committed first and appears live on the " +
          "staff console, then the safety reply (kind=urgent) is returned — show it as-is, 110 first. The chosen " +
          "category is the case's; severity is at least urgent. With contact.method=this_chat the report joins that " +
          "conversation (and its open case, if any). A stale consent version is 409 ERR_CONSENT_OUTDATED.",
        body: reportRequestSchema,
        response: {
          200: chatResponseSchema,
          400: errorBodySchema,
          404: errorBodySchema,
          409: errorBodySchema,
          413: errorBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request) => {
      const body = request.body;
      const conversationId = body.contact.method === "this_chat" ? body.contact.conversationId : undefined;
      await opts.limiter.check(request.ip, conversationId);
      if (body.consent.textVersion !== opts.consent.version) throw miniprogramErrors.consentOutdated();
      const whatHappened = acceptChatRequest({ text: body.whatHappened }).text;
      let area: string | null = null;
      if (body.area !== undefined && body.area.trim() !== "") {
        const { areas } = opts.directory();
        area = resolveArea(areas, body.area);
        if (area === null) throw miniprogramErrors.areaUnknown(unknownAreaMessage(areas, body.area));
      }
      if (conversationId !== undefined) {
        const exists = await opts.db.conversation.findUnique({ where: { id: conversationId }, select: { id: true } });
        if (!exists) throw caseErrors.conversationNotFound();
      }
      return opts.chat.handle(
        {
          text: formMessageText({ category: body.category, area, whatHappened, contact: body.contact }),
          conversationId,
          channel: body.channel ?? "miniprogram",
          area: area ?? undefined,
          clientMessageId: body.clientMessageId,
        },
        { category: body.category, triageText: whatHappened },
      );
    },
  );
};
