import type { Friendship, WechatyPlugin } from "wechaty";
import { types } from "wechaty";
import { GREETING } from "../texts.ts";
import { type BotContext, contactTarget, errKind, reply } from "./context.ts";

/** Accepts friend requests and says what the service is and is not (not a police line). */
export function friendshipPlugin(ctx: BotContext): WechatyPlugin {
  return (bot) => {
    const listener = async (friendship: Friendship) => {
      try {
        // Confirm/Verify are the other side of a request; only an incoming request needs accepting.
        if (friendship.type() !== types.Friendship.Receive) return;
        await friendship.accept();
        ctx.logger.info({ event: "wechat.friendship.accepted" }, "friend request accepted");
        await reply(ctx, contactTarget(friendship.contact()), GREETING, "greeting");
      } catch (err) {
        ctx.logger.error({ event: "wechat.friendship.error", err: errKind(err) }, "friend request failed");
      }
    };
    bot.on("friendship", listener);
    return () => {
      bot.off("friendship", listener);
    };
  };
}
