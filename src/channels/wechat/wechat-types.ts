/** What the WeChat bot and the service exchange, in process or over /api/bot/wechat. */
import type { ChatResponse } from "../../chat/chat-types.ts";

export interface WechatInbound {
  /** Keyed hash of the sender's contact id (contact-crypto-fns). */
  contactRef: string;
  /** The sender's contact id, encrypted; stored so staff replies can reach them later. */
  contactCipher?: string | undefined;
  text: string;
  /** Derived from the WeChat message id: a retry gets the same reply and stores nothing twice. */
  clientMessageId: string;
  /** Sent in a group (after an @): the reply is shaped by the bot, the record is the sender's own conversation. */
  isGroup: boolean;
}

export interface OutboundItem {
  id: string;
  conversationId: string;
  text: string;
  /** The conversation's encrypted contact id. */
  contactCipher: string;
  /** The conversation's contact ref, so the bot can check the decrypted id belongs to it. */
  contactRef: string;
  /** Delivery attempts so far, this one included. */
  attempts: number;
}

export interface LeaseRequest {
  botId: string;
  limit: number;
  leaseMs: number;
}

export interface FailureReport {
  /** A short error kind (e.g. send_failed), never message text or contact data. */
  error: string;
  retryAfterMs: number;
  /** Stop retrying: the message can never be delivered (e.g. the contact cannot be decrypted). */
  giveUp?: boolean | undefined;
}

export type { ChatResponse };
