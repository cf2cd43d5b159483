import type { Contact, Message, WechatyPlugin } from "wechaty";
import { types } from "wechaty";
import { DELAYED, UNAVAILABLE } from "../texts.ts";
import { type BotContext, contactTarget, fromResident, inboundFor, messageRulePlugin, reply } from "./context.ts";

/**
 * Answers a resident in a private chat through the core (triage first, then
 * the answer): the same path as the web chat. Used for text and for voice
 * messages the puppet transcribed.
 */
export async function answerPrivately(ctx: BotContext, contact: Contact, text: string, messageId: string) {
  const input = inboundFor(ctx, contact, text, messageId, false);
  const target = contactTarget(contact);
  await ctx.inbound.submit(input.contactRef, input, {
    onDelayed: () => void reply(ctx, target, DELAYED, "delayed"),
    deliver(result) {
      if (result.ok) {
        const { kind, conversationId, escalation } = result.response;
        ctx.logger.info(
          { event: "wechat.reply", kind, conversationId, escalated: escalation !== null },
          "reply queued",
        );
        void reply(ctx, target, result.response.reply, kind);
      } else if (result.reason === "rejected") {
        void reply(ctx, target, result.userMessage, "rejected");
      } else if (result.reason === "overloaded") {
        void reply(ctx, target, UNAVAILABLE, "overloaded");
      }
    },
  });
}

export function privateTextPlugin(ctx: BotContext): WechatyPlugin {
  return messageRulePlugin(ctx, {
    name: "private-text",
    match: (msg: Message) => msg.room() === undefined && msg.type() === types.Message.Text && fromResident(msg),
    talk: (msg: Message) => answerPrivately(ctx, msg.talker(), msg.text(), msg.id),
  });
}
