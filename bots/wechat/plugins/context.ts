/** What the bot's plugins share, and the small helpers they are built from. */
import type { Logger } from "pino";
import type { Contact, Message, Room, WechatyPlugin } from "wechaty";
import { types } from "wechaty";
import { type ContactKeys, contactRefOf, encryptContact } from "../../../src/channels/wechat/contact-crypto-fns.ts";
import type { Clock } from "../clock.ts";
import type { CoreClient, WechatInbound } from "../core-client.ts";
import type { Inbound } from "../inbound.ts";
import { clientMessageIdFor } from "../message-fns.ts";
import type { SendQueue, SendTarget } from "../send-queue.ts";

export interface BotContext {
  core: CoreClient;
  keys: ContactKeys;
  inbound: Inbound;
  queue: SendQueue;
  logger: Logger;
  clock: Clock;
  /** True the first time a message id is seen (puppets may deliver twice after a reconnect). */
  firstSeen(messageId: string): boolean;
}

/** Log only an error's class: messages from puppets can carry names or ids. */
export function errKind(err: unknown): { name: string } {
  return { name: err instanceof Error ? err.name : typeof err };
}

export function contactTarget(contact: Contact): SendTarget {
  return {
    key: `c:${contact.id}`,
    say: async (text) => {
      await contact.say(text);
    },
  };
}

/** A group reply that @-mentions the resident it answers. */
export function roomTarget(room: Room, mention: Contact): SendTarget {
  return {
    key: `r:${room.id}`,
    say: async (text) => {
      await room.say(text, mention);
    },
  };
}

/** Enqueues a send; failures are logged, never thrown (the resident's message is already recorded). */
export function reply(ctx: BotContext, target: SendTarget, text: string, event: string): Promise<boolean> {
  return ctx.queue.enqueue(target, text).then(
    () => true,
    (err: unknown) => {
      ctx.logger.warn({ event: "wechat.reply.failed", for: event, err: errKind(err) }, "reply not sent");
      return false;
    },
  );
}

/** A resident: a person (not an official account) who is not the bot itself. */
export function fromResident(msg: Message): boolean {
  if (msg.self()) return false;
  const type = msg.talker().type();
  return type === types.Contact.Individual || type === types.Contact.Unknown;
}

export function inboundFor(ctx: BotContext, contact: Contact, text: string, messageId: string, isGroup: boolean) {
  const contactRef = contactRefOf(ctx.keys, contact.id);
  const input: WechatInbound = {
    contactRef,
    contactCipher: encryptContact(ctx.keys, contact.id),
    text,
    clientMessageId: clientMessageIdFor(contactRef, messageId),
    isGroup,
  };
  return input;
}

/**
 * A rule in the matcher → talker style of wechaty-plugin-contrib: `match`
 * picks the messages the rule is for (rules do not overlap), `talk` answers.
 */
export interface MessageRule {
  name: string;
  match(msg: Message): boolean | Promise<boolean>;
  talk(msg: Message): Promise<void>;
}

export function messageRulePlugin(ctx: BotContext, rule: MessageRule): WechatyPlugin {
  return (bot) => {
    const listener = async (msg: Message) => {
      try {
        if (!(await rule.match(msg))) return;
        if (!ctx.firstSeen(msg.id)) return;
        ctx.logger.info({ event: "wechat.message", rule: rule.name }, "message received");
        await rule.talk(msg);
      } catch (err) {
        ctx.logger.error({ event: "wechat.plugin.error", rule: rule.name, err: errKind(err) }, "plugin failed");
      }
    };
    bot.on("message", listener);
    return () => {
      bot.off("message", listener);
    };
  };
}
