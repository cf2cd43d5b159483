/**
 * Delivers staff replies: leases pending OutboundMessage rows (channel
 * wechat), decrypts the contact, sends through the paced queue and marks a row
 * sent only after the puppet's `say` resolved. The database is the queue: a
 * row that was not confirmed goes back to pending when its lease ends, so a
 * restart of the bot or the service loses nothing.
 *
 * A confirmation that could not reach the service is kept and retried; if the
 * same row is leased again meanwhile it is confirmed, not sent again. A
 * duplicate is only possible if the bot dies between `say` and the
 * confirmation.
 */
import type { Logger } from "pino";
import type { Wechaty, WechatyPlugin } from "wechaty";
import { type ContactKeys, contactRefOf, decryptContact } from "../../../src/channels/wechat/contact-crypto-fns.ts";
import { type Clock, realClock } from "../clock.ts";
import { type CoreClient, CoreRejectedError, type OutboundItem } from "../core-client.ts";
import { type BackoffSpec, backoffMs } from "../pacing-fns.ts";
import { SendAbortedError, type SendQueue, type SendTarget } from "../send-queue.ts";
import { contactTarget, errKind } from "./context.ts";

export interface OutboundSenderOptions {
  core: CoreClient;
  queue: SendQueue;
  keys: ContactKeys;
  /** Finds the WeChat contact to send to; null when the puppet does not know it. */
  findTarget(contactId: string): Promise<SendTarget | null>;
  /** Identifies this bot process in leases. */
  botId: string;
  logger: Logger;
  clock?: Clock;
  /** How often to look for new rows when idle. */
  pollMs?: number;
  /** How long a leased row stays ours; longer than the queue may make it wait. */
  leaseMs?: number;
  /** Rows held at once. */
  batch?: number;
  /** Backoff for polling while the service is unreachable, and before a failed row is tried again. */
  retry?: BackoffSpec;
  random?: () => number;
}

export interface OutboundSender {
  start(): void;
  /** Stops leasing; rows still waiting in the queue are released; resolves when sends in progress are confirmed. */
  stop(): Promise<void>;
}

export function createOutboundSender(options: OutboundSenderOptions): OutboundSender {
  const { core, queue, keys, logger } = options;
  const clock = options.clock ?? realClock;
  const pollMs = options.pollMs ?? 2000;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const batch = options.batch ?? 10;
  const retry = options.retry ?? { baseMs: 2000, maxMs: 5 * 60_000 };
  const random = options.random ?? Math.random;

  /** Rows leased and waiting in (or going through) the send queue. */
  const inFlight = new Map<string, Promise<void>>();
  /** Rows sent whose confirmation has not reached the service yet. */
  const unconfirmed = new Set<string>();
  let running = false;
  let abort = new AbortController();
  let cancelTimer: (() => void) | null = null;
  let ticking: Promise<void> | null = null;
  let pollFailures = 0;

  async function confirm(id: string): Promise<void> {
    try {
      await core.markSent(id);
      unconfirmed.delete(id);
    } catch (err) {
      // 404: the row is gone (conversation deleted); nothing left to confirm.
      if (err instanceof CoreRejectedError) unconfirmed.delete(id);
      else logger.warn({ event: "wechat.outbound.confirm_retry", outboundId: id }, "confirmation will be retried");
    }
  }

  async function report(item: OutboundItem, error: string, giveUp: boolean, retryAfterMs?: number): Promise<void> {
    const wait = retryAfterMs ?? backoffMs(item.attempts, retry, random);
    logger.warn({ event: "wechat.outbound.failed", outboundId: item.id, error, giveUp }, "outbound not sent");
    try {
      await core.markFailed(item.id, { error, retryAfterMs: wait, giveUp });
    } catch {
      // The lease runs out on its own and the row is tried again.
    }
  }

  async function deliver(item: OutboundItem): Promise<void> {
    let contactId: string;
    try {
      contactId = decryptContact(keys, item.contactCipher);
      // The cipher must belong to this conversation's resident; anything else is never sent.
      if (contactRefOf(keys, contactId) !== item.contactRef) throw new Error("contact mismatch");
    } catch {
      await report(item, "contact_unreadable", true);
      return;
    }
    const target = await options.findTarget(contactId).catch(() => null);
    if (!target) {
      await report(item, "contact_not_found", false);
      return;
    }
    try {
      await queue.enqueue(target, item.text, { signal: abort.signal });
    } catch (err) {
      if (err instanceof SendAbortedError) await report(item, "released", false, 0);
      else await report(item, "send_failed", false);
      return;
    }
    unconfirmed.add(item.id);
    logger.info({ event: "wechat.outbound.delivered", outboundId: item.id }, "staff reply sent");
    await confirm(item.id);
  }

  async function tick(): Promise<void> {
    let delay = pollMs;
    try {
      for (const id of [...unconfirmed]) await confirm(id);
      const room = batch - inFlight.size;
      if (room > 0 && running) {
        const items = await core.leaseOutbound({ botId: options.botId, limit: room, leaseMs });
        pollFailures = 0;
        for (const item of items) {
          if (inFlight.has(item.id)) continue; // still waiting in our queue from an earlier lease
          if (unconfirmed.has(item.id)) {
            await confirm(item.id); // already sent: confirm, never send twice
            continue;
          }
          const p = deliver(item).finally(() => inFlight.delete(item.id));
          inFlight.set(item.id, p);
        }
        // A full batch suggests more are waiting: look again soon.
        if (items.length === room) delay = Math.min(pollMs, 200);
      }
    } catch (err) {
      pollFailures++;
      delay = backoffMs(pollFailures, retry, random);
      logger.warn({ event: "wechat.outbound.poll_failed", attempt: pollFailures, err: errKind(err) }, "poll failed");
    }
    if (running) {
      cancelTimer = clock.setTimer(() => {
        cancelTimer = null;
        ticking = tick();
      }, delay);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      abort = new AbortController();
      ticking = tick();
    },
    async stop() {
      if (!running) return;
      running = false;
      cancelTimer?.();
      cancelTimer = null;
      await ticking;
      abort.abort();
      await Promise.allSettled([...inFlight.values()]);
      for (const id of [...unconfirmed]) await confirm(id);
    },
  };
}

/** Runs the sender while the bot is logged in: WeChat can only send then. */
export function outboundSenderPlugin(sender: OutboundSender, logger: Logger): WechatyPlugin {
  return (bot) => {
    const onLogin = () => {
      logger.info({ event: "wechat.outbound.start" }, "outbound sender started");
      sender.start();
    };
    const onLogout = () => void sender.stop();
    bot.on("login", onLogin);
    bot.on("logout", onLogout);
    // Installed before start() the bot has no puppet yet, and asking isLoggedIn throws.
    const loggedIn = (() => {
      try {
        return bot.isLoggedIn;
      } catch {
        return false;
      }
    })();
    if (loggedIn) sender.start();
    return () => {
      bot.off("login", onLogin);
      bot.off("logout", onLogout);
    };
  };
}

/** The default way to find a contact to send to: the puppet's contact by id. */
export function wechatyTargetFinder(bot: Wechaty) {
  return async (contactId: string): Promise<SendTarget | null> => {
    const contact = await bot.Contact.find({ id: contactId });
    return contact ? contactTarget(contact) : null;
  };
}
