import type { Message, WechatyPlugin } from "wechaty";
import { nonTextKind, voiceTranscript } from "../message-fns.ts";
import { NON_TEXT, type NonTextKind } from "../texts.ts";
import { type BotContext, contactTarget, fromResident, messageRulePlugin, reply } from "./context.ts";
import { answerPrivately } from "./private-text.ts";

/** One notice per resident and kind per minute: ten stickers in a row get one answer, not ten. */
const NOTICE_EVERY_MS = 60_000;

/**
 * Private non-text messages get a short note on what the bot can read; a voice
 * message the puppet transcribed is answered like text. In groups non-text
 * messages are ignored (they cannot @ the bot).
 */
export function nonTextPlugin(ctx: BotContext): WechatyPlugin {
  const lastNotice = new Map<string, number>();
  return messageRulePlugin(ctx, {
    name: "non-text",
    match: (msg: Message) => msg.room() === undefined && nonTextKind(msg.type()) !== null && fromResident(msg),
    async talk(msg: Message) {
      const kind = nonTextKind(msg.type()) as NonTextKind;
      const contact = msg.talker();
      if (kind === "voice") {
        const transcript = voiceTranscript(msg.text());
        if (transcript) {
          await answerPrivately(ctx, contact, transcript, msg.id);
          return;
        }
      }
      const key = `${contact.id}\n${kind}`;
      const now = ctx.clock.now();
      const last = lastNotice.get(key);
      if (last !== undefined && now - last < NOTICE_EVERY_MS) return;
      if (lastNotice.size > 10_000) lastNotice.clear(); // a bound, not a cache worth keeping exact
      lastNotice.set(key, now);
      ctx.logger.info({ event: "wechat.non_text", kind }, "non-text message");
      await reply(ctx, contactTarget(contact), NON_TEXT[kind], `non-text-${kind}`);
    },
  });
}
