/**
 * The 济源妇儿服务助手 WeChat bot, assembled from small plugins on a Wechaty
 * instance whose puppet comes from the caller (the environment in production,
 * wechaty-puppet-mock in tests and the demo).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Wechaty } from "wechaty";
import { deriveContactKeys } from "../../src/channels/wechat/contact-crypto-fns.ts";
import { type Clock, realClock } from "./clock.ts";
import type { CoreClient } from "./core-client.ts";
import { createInbound, type Inbound } from "./inbound.ts";
import { createSeenSet } from "./message-fns.ts";
import type { BackoffSpec, PacingSpec } from "./pacing-fns.ts";
import type { BotContext } from "./plugins/context.ts";
import { friendshipPlugin } from "./plugins/friendship.ts";
import { groupMentionPlugin } from "./plugins/group-mention.ts";
import { nonTextPlugin } from "./plugins/non-text.ts";
import {
  createOutboundSender,
  type OutboundSender,
  outboundSenderPlugin,
  wechatyTargetFinder,
} from "./plugins/outbound-sender.ts";
import { privateTextPlugin } from "./plugins/private-text.ts";
import { createSendQueue, type SendQueue } from "./send-queue.ts";

export interface WechatBotOptions {
  wechaty: Wechaty;
  core: CoreClient;
  /** WECHAT_ID_SECRET: contact ids are hashed and encrypted with keys derived from it. */
  idSecret: string;
  logger: Logger;
  /** Pacing of everything sent; see pacing-fns DEFAULT_PACING. */
  pacing?: PacingSpec;
  /** Clock for the send queue's pacing (tests pass a manual one). */
  pacingClock?: Clock;
  /** Retries of the core while the service is unreachable. */
  coreRetry?: BackoffSpec;
  /** Retries of a failed `say`. */
  sendRetry?: BackoffSpec;
  outbound?: { pollMs?: number; leaseMs?: number; batch?: number; retry?: BackoffSpec };
}

export interface WechatBot {
  queue: SendQueue;
  inbound: Inbound;
  outbound: OutboundSender;
  /** Stops sending and retrying; does not stop the Wechaty instance (its owner does). */
  stop(): Promise<void>;
}

export function installWechatBot(options: WechatBotOptions): WechatBot {
  const { wechaty, core } = options;
  const logger = options.logger.child({ module: "wechat-bot" });
  const keys = deriveContactKeys(options.idSecret);
  const queue = createSendQueue({
    logger,
    ...(options.pacing ? { pacing: options.pacing } : {}),
    ...(options.pacingClock ? { clock: options.pacingClock } : {}),
    ...(options.sendRetry ? { retry: options.sendRetry } : {}),
  });
  const inbound = createInbound({ core, logger, ...(options.coreRetry ? { retry: options.coreRetry } : {}) });
  const seen = createSeenSet(5000);
  const ctx: BotContext = {
    core,
    keys,
    inbound,
    queue,
    logger,
    clock: realClock,
    firstSeen: (id) => seen.add(id),
  };
  const outbound = createOutboundSender({
    core,
    queue,
    keys,
    logger,
    findTarget: wechatyTargetFinder(wechaty),
    botId: `wechat-${randomBytes(6).toString("hex")}`,
    ...options.outbound,
  });
  const uninstall = wechaty.use(
    privateTextPlugin(ctx),
    groupMentionPlugin(ctx),
    nonTextPlugin(ctx),
    friendshipPlugin(ctx),
    outboundSenderPlugin(outbound, logger),
  );
  return {
    queue,
    inbound,
    outbound,
    async stop() {
      uninstall();
      // Staff replies go back to the database (released) rather than hold up the shutdown…
      await outbound.stop();
      inbound.stop();
      // …replies to residents exist only here, so give them a few seconds to go out.
      await queue.drain(5000);
      await queue.stop();
    },
  };
}
