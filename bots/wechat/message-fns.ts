/** Pure decisions about incoming WeChat messages. */
import { createHash } from "node:crypto";
import { types } from "wechaty";
import type { NonTextKind } from "./texts.ts";

const T = types.Message;

/** What a non-text message type gets told; null: say nothing (recalls, system notices, unknown events). */
export function nonTextKind(type: types.Message): NonTextKind | null {
  switch (type) {
    case T.Audio:
      return "voice";
    case T.Image:
      return "image";
    case T.Video:
      return "video";
    case T.Emoticon:
      return "sticker";
    case T.Attachment:
      return "file";
    case T.Url:
      return "link";
    case T.MiniProgram:
      return "miniProgram";
    case T.Location:
      return "location";
    case T.Transfer:
    case T.RedEnvelope:
      return "money";
    case T.Contact:
    case T.ChatHistory:
      return "other";
    default:
      // Text is handled elsewhere; Recalled, GroupNote, Post, Unknown are not things a resident asked.
      return null;
  }
}

/**
 * The text a puppet gives for a voice message, when it is a transcript.
 * Some puppets put the message's raw XML or a placeholder there instead.
 */
export function voiceTranscript(raw: string): string | null {
  const text = raw.trim();
  if (text.length === 0) return null;
  if (text.startsWith("<") || /^\[(语音|voice|audio)\]$/i.test(text)) return null;
  return text;
}

/**
 * The chat service's idempotency key for a WeChat message: a retry of the same
 * message gets the same reply. Hashed with the contact ref so it fits the
 * contract's character set and is unique per resident whatever the puppet's id looks like.
 */
export function clientMessageIdFor(contactRef: string, messageId: string): string {
  return `wx.${createHash("sha256").update(`${contactRef}\n${messageId}`).digest("base64url").slice(0, 40)}`;
}

/** Remembers recently seen message ids: some puppets deliver a message twice after a reconnect. */
export function createSeenSet(capacity: number) {
  const seen = new Set<string>();
  return {
    /** True the first time an id is offered. */
    add(id: string): boolean {
      if (seen.has(id)) return false;
      seen.add(id);
      if (seen.size > capacity) {
        const oldest = seen.values().next().value;
        if (oldest !== undefined) seen.delete(oldest);
      }
      return true;
    },
  };
}
