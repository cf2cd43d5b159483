import { z } from "zod";
import { clientMessageIdSchema, conversationIdSchema } from "../chat/chat-schemas.ts";

export const REPORT_CATEGORIES = [
  "domestic_violence",
  "child_harm",
  "sexual_violence",
  "self_harm",
  "trafficking_missing",
] as const;

/** Mainland mobile (optionally +86) or a landline with area code, e.g. 0391-1234567. */
const PHONE_RE = /^(?:(?:\+?86)[- ]?)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$/;
/** A WeChat id: 6–20 letters, digits, _ or -, starting with a letter (or a mobile number used as one). */
const WECHAT_ID_RE = /^[A-Za-z][-_A-Za-z0-9]{5,19}$|^1[3-9]\d{9}$/;

export const reportContactSchema = z
  .discriminatedUnion("method", [
    z.strictObject({ method: z.literal("anonymous") }),
    z.strictObject({
      method: z.literal("phone"),
      phone: z.string().trim().regex(PHONE_RE, "电话号码格式不对，请填写手机号（11位）或带区号的座机号。"),
    }),
    z.strictObject({
      method: z.literal("wechat"),
      wechatId: z.string().trim().regex(WECHAT_ID_RE, "微信号格式不对（6–20位字母、数字、下划线或减号，以字母开头）。"),
    }),
    z.strictObject({ method: z.literal("this_chat"), conversationId: conversationIdSchema }),
  ])
  .meta({
    description:
      "工作人员怎样联系你：anonymous 匿名；phone 电话回访；wechat 微信；this_chat 在已有对话里回复（conversationId 是该对话的编号）。" +
      " How staff reach the resident.",
  });

export const reportRequestSchema = z.strictObject({
  category: z.enum(REPORT_CATEGORIES).meta({
    description:
      "求助类别：domestic_violence 家庭暴力，child_harm 儿童受害，sexual_violence 性侵害，self_harm 自伤/自杀风险，trafficking_missing 拐卖/走失。",
  }),
  area: z.string().max(30).optional().meta({ description: "街道/镇（可用常用写法）；写错返回 ERR_AREA_UNKNOWN。" }),
  whatHappened: z
    .string({ error: "请写下发生了什么（whatHappened）。" })
    .max(8000, "内容太长了，请不超过2000字。")
    .meta({ description: "发生了什么，1–2000 字。What happened, 1–2000 characters." }),
  contact: reportContactSchema,
  consent: z.strictObject({
    accepted: z.literal(true, { error: "请先阅读并同意《求助表单个人信息处理说明》。" }),
    textVersion: z.string().min(1).max(64).meta({ description: "GET /api/reports/consent 返回的 version。" }),
  }),
  channel: z.enum(["web", "miniprogram"]).optional().meta({ description: "默认 miniprogram。Default miniprogram." }),
  clientMessageId: clientMessageIdSchema.optional(),
});

export type ReportRequest = z.infer<typeof reportRequestSchema>;

export const consentResponseSchema = z.object({
  version: z.string(),
  title: z.string(),
  summary: z.array(z.string()),
  paragraphs: z.array(z.string()),
});
