/** The bot inside the service (WECHAT_BOT=on with `npm start`): no HTTP hop, same store as the bot API. */
import type { Logger } from "pino";
import type { WechatStore } from "../../src/channels/wechat/wechat-store.ts";
import { createInProcessCore } from "./in-process-core.ts";
import { type RunningWechatBot, startWechatBot } from "./run.ts";

export interface InServiceBotOptions {
  store: WechatStore;
  idSecret: string | undefined;
  logger: Logger;
  name?: string;
}

export function startInServiceBot(options: InServiceBotOptions): RunningWechatBot {
  if (!options.idSecret) throw new Error("WECHAT_BOT=on needs WECHAT_ID_SECRET (at least 32 characters)");
  return startWechatBot({
    core: createInProcessCore(options.store),
    idSecret: options.idSecret,
    logger: options.logger,
    ...(options.name ? { name: options.name } : {}),
  });
}
