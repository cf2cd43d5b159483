import { AppError } from "../shared/errors.ts";

/**
 * Error codes of the mini-program API (listed in the README). Stable; messages
 * are Chinese because residents read them.
 */
export const miniprogramErrors = {
  /** An `area` that is none of Jiyuan's 16 街道/镇 (nor an alias); the message lists how to write one. */
  areaUnknown: (message: string) => new AppError("ERR_AREA_UNKNOWN", message, 400),
  /** The consent text changed since the client showed it: fetch GET /api/reports/consent and ask again. */
  consentOutdated: () =>
    new AppError(
      "ERR_CONSENT_OUTDATED",
      "个人信息处理说明已更新，请重新阅读并同意后再提交。如果你现在有危险，请马上拨打110。",
      409,
    ),
} as const;
