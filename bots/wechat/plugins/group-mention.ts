import type { Message, WechatyPlugin } from "wechaty";
import { types } from "wechaty";
import {
  GROUP_ADD_FRIEND,
  GROUP_DELAYED,
  GROUP_EMPTY_MENTION,
  GROUP_PRIVATE_FOLLOW_UP,
  UNAVAILABLE,
} from "../texts.ts";
import {
  type BotContext,
  contactTarget,
  fromResident,
  inboundFor,
  messageRulePlugin,
  reply,
  roomTarget,
} from "./context.ts";

/**
 * Groups: the bot answers only when @-mentioned, and @-mentions back. Messages
 * without an @ are not read at all (not stored, not triaged). An urgent
 * disclosure is answered privately (safety reply; the case is the sender's own
 * conversation, so staff replies reach them privately too) and the group only
 * hears that a private message was sent.
 */
export function groupMentionPlugin(ctx: BotContext): WechatyPlugin {
  return messageRulePlugin(ctx, {
    name: "group-mention",
    async match(msg: Message) {
      if (!msg.room() || msg.type() !== types.Message.Text || !fromResident(msg)) return false;
      return msg.mentionSelf();
    },
    async talk(msg: Message) {
      const room = msg.room();
      if (!room) return;
      const talker = msg.talker();
      const inGroup = roomTarget(room, talker);
      const text = (await msg.mentionText()).trim();
      if (text.length === 0) {
        await reply(ctx, inGroup, GROUP_EMPTY_MENTION, "empty-mention");
        return;
      }
      const input = inboundFor(ctx, talker, text, msg.id, true);
      await ctx.inbound.submit(input.contactRef, input, {
        onDelayed: () => void reply(ctx, inGroup, GROUP_DELAYED, "delayed"),
        deliver(result) {
          if (!result.ok) {
            if (result.reason === "rejected") void reply(ctx, inGroup, result.userMessage, "rejected");
            if (result.reason === "overloaded") void reply(ctx, inGroup, UNAVAILABLE, "overloaded");
            return;
          }
          const { kind, conversationId, escalation } = result.response;
          ctx.logger.info(
            { event: "wechat.reply", group: true, kind, conversationId, escalated: escalation !== null },
            "reply queued",
          );
          if (kind !== "urgent") {
            void reply(ctx, inGroup, result.response.reply, kind);
            return;
          }
          // WeChat delivers private messages only between friends; say so instead of a silent failure.
          if (talker.friend() === false) {
            void reply(ctx, inGroup, GROUP_ADD_FRIEND, "urgent-not-friend");
            return;
          }
          void (async () => {
            const sent = await reply(ctx, contactTarget(talker), result.response.reply, "urgent-private");
            await reply(ctx, inGroup, sent ? GROUP_PRIVATE_FOLLOW_UP : GROUP_ADD_FRIEND, "urgent-group");
          })();
        },
      });
    },
  });
}
