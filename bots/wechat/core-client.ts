/**
 * What the bot needs from the service. Two implementations: in process (the
 * bot runs inside the service and calls the store directly) and HTTP (the bot
 * runs elsewhere and uses /api/bot/wechat with BOT_API_TOKEN).
 */
import type {
  ChatResponse,
  FailureReport,
  LeaseRequest,
  OutboundItem,
  WechatInbound,
} from "../../src/channels/wechat/wechat-types.ts";

export type { ChatResponse, FailureReport, LeaseRequest, OutboundItem, WechatInbound };

export interface CoreClient {
  /** Triage first, then an answer; the case (if any) is committed before this resolves. */
  handleMessage(input: WechatInbound): Promise<ChatResponse>;
  leaseOutbound(request: LeaseRequest): Promise<OutboundItem[]>;
  markSent(id: string): Promise<void>;
  markFailed(id: string, report: FailureReport): Promise<void>;
}

/** The service refused the message for good (e.g. too long): tell the resident, do not retry. */
export class CoreRejectedError extends Error {
  readonly code: string;
  /** Chinese, for the resident. */
  readonly userMessage: string;
  constructor(code: string, userMessage: string) {
    super(`core rejected: ${code}`);
    this.name = "CoreRejectedError";
    this.code = code;
    this.userMessage = userMessage;
  }
}

/** The service could not be reached or failed: retry later with the same clientMessageId. */
export class CoreUnavailableError extends Error {
  /** HTTP status, or null for network errors and timeouts. */
  readonly status: number | null;
  constructor(reason: string, status: number | null = null, options?: { cause?: unknown }) {
    super(`core unavailable: ${reason}`, options);
    this.name = "CoreUnavailableError";
    this.status = status;
  }
}
