/** Pure pieces of the structured report form. */
import type { CaseCategory } from "../chat/chat-types.ts";
import type { ReportRequest } from "./report-schemas.ts";

export const CATEGORY_LABEL: Record<CaseCategory, string> = {
  domestic_violence: "家庭暴力",
  child_harm: "儿童受害",
  sexual_violence: "性侵害",
  self_harm: "自伤/自杀风险",
  trafficking_missing: "拐卖/走失",
};

/** First line of a form report's message: the console and the transcript show it as a form. */
export const FORM_MARKER = "【求助表单】";

/** How staff may reach the resident, in words staff read (this is the only place contact details are kept). */
export function contactLine(contact: ReportRequest["contact"]): string {
  switch (contact.method) {
    case "phone":
      return `电话回访：${contact.phone}`;
    case "wechat":
      return `微信联系：${contact.wechatId}`;
    case "this_chat":
      return "在本对话中回复（居民没有留下电话或微信）";
    default:
      return "匿名，未留联系方式（只能在本对话中回复）";
  }
}

/**
 * The resident message a form report is stored as: staff read it in the
 * transcript like any message. The contact line is marked for staff; it is
 * anonymised with the rest of the text by the retention job.
 */
export function formMessageText(args: {
  category: CaseCategory;
  area: string | null;
  whatHappened: string;
  contact: ReportRequest["contact"];
}): string {
  return [
    FORM_MARKER,
    `类别：${CATEGORY_LABEL[args.category]}`,
    `街道/镇：${args.area ?? "未填写"}`,
    `发生了什么：${args.whatHappened}`,
    `联系方式（仅供工作人员回访）：${contactLine(args.contact)}`,
  ].join("\n");
}
