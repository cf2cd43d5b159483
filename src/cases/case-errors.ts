import { AppError } from "../shared/errors.ts";
import type { StaffRef } from "./case-types.ts";

/**
 * Stable error codes of the case API (listed in the README). Like every code
 * they keep their meaning for good; messages are Chinese because staff (and,
 * for ERR_CONVERSATION_NOT_FOUND, residents) read them.
 */
function define(code: string, message: string, statusCode: number) {
  const make = (detail?: string) => new AppError(code, detail ? `${message}${detail}` : message, statusCode);
  return Object.assign(make, { code, statusCode, message });
}

/** 409 for the loser of a claim race; carries who holds the case so the console can say so. */
export class CaseAlreadyClaimedError extends AppError {
  readonly claimedBy: StaffRef | null;
  constructor(claimedBy: StaffRef | null) {
    super(
      "ERR_CASE_ALREADY_CLAIMED",
      claimedBy ? `这个案件已被${claimedBy.displayName}认领。` : "这个案件已被其他工作人员认领。",
      409,
    );
    this.claimedBy = claimedBy;
  }
}

export const caseErrors = {
  /** Also for a case in a queue the staff member cannot see: its existence is never revealed. */
  notFound: define("ERR_CASE_NOT_FOUND", "没有找到这个案件。", 404),
  alreadyClaimed: (claimedBy: StaffRef | null) => new CaseAlreadyClaimedError(claimedBy),
  notClaimed: define("ERR_CASE_NOT_CLAIMED", "请先认领这个案件。", 409),
  /** A staff member acting on a case another staff member has claimed (supervisors and admins may). */
  claimedByOther: define("ERR_CASE_CLAIMED_BY_OTHER", "这个案件由其他工作人员认领，只有认领人或督导可以操作。", 403),
  closed: define("ERR_CASE_CLOSED", "这个案件已结案。", 409),
  /** Someone else changed the case between reading and writing it (claimed, transferred, closed). */
  changed: define("ERR_CASE_CHANGED", "案件状态刚刚发生了变化，请刷新后再试。", 409),
  unknownQueue: define("ERR_QUEUE_UNKNOWN", "没有这个队列。", 400),
  /** A staff text (reply, note, reason) that is empty, over 2000 characters or has control characters. */
  invalidText: define("ERR_VALIDATION", "输入有误：", 400),
  sameQueue: define("ERR_TRANSFER_SAME_QUEUE", "案件已在这个队列中。", 400),
  /** Closing with outcome mandatory_report_filed before a 强制报告 is recorded. */
  mandatoryReportMissing: define(
    "ERR_MANDATORY_REPORT_MISSING",
    "结案结果为“已强制报告”，请先登记强制报告（报告对象、时间）。",
    409,
  ),
  /** A resident's conversation id that does not exist (history, resume). */
  conversationNotFound: define("ERR_CONVERSATION_NOT_FOUND", "没有找到这个对话，可能已过保存期限。", 404),
  /** /ws/staff opened from a page of another origin (or without an Origin header). */
  originRefused: define("ERR_ORIGIN_REFUSED", "请从工作台页面连接。", 403),
} as const;
