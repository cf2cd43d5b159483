/**
 * Starts the bot with the puppet the environment names, as Wechaty documents
 * it: WECHATY_PUPPET (wechaty-puppet-service, wechaty-puppet-padlocal,
 * wechaty-puppet-wechat4u, …) and that puppet's own variables such as
 * WECHATY_PUPPET_SERVICE_TOKEN. Used by `npm run bot` and by the service
 * itself when WECHAT_BOT=on.
 */
import qrcodeTerminal from "qrcode-terminal";
import { types, type Wechaty, WechatyBuilder, log as wechatyLog } from "wechaty";
import { installWechatBot, type WechatBot, type WechatBotOptions } from "./bot.ts";
import { realClock, sleep } from "./clock.ts";
import { backoffMs } from "./pacing-fns.ts";

export interface StartWechatBotOptions extends Omit<WechatBotOptions, "wechaty"> {
  /** Names the Wechaty memory card (<name>.memory-card.json): the puppet's login session, so a restart needs no new scan. */
  name?: string;
  /** A ready-made Wechaty (tests, the demo); otherwise one is built from the environment. */
  wechaty?: Wechaty;
  /** Where the login QR code is drawn; the terminal by default. */
  qrOut?: NodeJS.WritableStream;
}

export interface RunningWechatBot {
  wechaty: Wechaty;
  bot: WechatBot;
  stop(): Promise<void>;
}

/** The page Wechaty documents for showing a login QR code in a browser. */
export function qrcodeUrl(qrcode: string): string {
  return `https://wechaty.js.org/qrcode/${encodeURIComponent(qrcode)}`;
}

const START_RETRY = { baseMs: 2000, maxMs: 5 * 60_000 };

/**
 * Returns at once; the puppet connects in the background, retrying with
 * backoff (the puppet service may be down, the token not yet valid), so a
 * service with WECHAT_BOT=on serves the web chat whatever WeChat is doing.
 */
export function startWechatBot(options: StartWechatBotOptions): RunningWechatBot {
  const logger = options.logger.child({ module: "wechat-run" });
  // Wechaty's own log (stderr) is outside our redaction and names contacts at info level and below.
  if (!process.env.WECHATY_LOG) wechatyLog.level("error");
  const wechaty = options.wechaty ?? WechatyBuilder.build({ name: options.name ?? "jiyuan-fuer-bot" });
  const qrOut = options.qrOut ?? process.stdout;
  const bot = installWechatBot({ ...options, wechaty });

  wechaty.on("scan", (qrcode, status) => {
    logger.info({ event: "wechat.scan", status: types.ScanStatus[status] }, "scan status");
    if (status !== types.ScanStatus.Waiting && status !== types.ScanStatus.Timeout) return;
    qrcodeTerminal.generate(qrcode, { small: true }, (art) => {
      qrOut.write(
        `\n请用作为机器人的微信号扫码登录 / Scan with the bot's WeChat account:\n${art}\n${qrcodeUrl(qrcode)}\n\n`,
      );
    });
  });
  wechaty.on("login", () => logger.info({ event: "wechat.login" }, "logged in"));
  wechaty.on("logout", () => logger.warn({ event: "wechat.logout" }, "logged out; waiting for a new scan"));
  wechaty.on("error", (err) => logger.warn({ event: "wechat.error", err: { name: err?.name } }, "wechaty error"));

  const stopper = new AbortController();
  const started = (async () => {
    for (let attempt = 1; !stopper.signal.aborted; attempt++) {
      try {
        await wechaty.start();
        logger.info({ event: "wechat.started", puppet: wechaty.puppet.name() }, "wechaty started");
        return;
      } catch (err) {
        logger.error({ event: "wechat.start_failed", attempt, err: { name: (err as Error)?.name } }, "start failed");
        await wechaty.stop().catch(() => undefined);
        await sleep(realClock, backoffMs(attempt, START_RETRY), stopper.signal).catch(() => undefined);
      }
    }
  })();

  return {
    wechaty,
    bot,
    async stop() {
      stopper.abort(new Error("stopping"));
      // A puppet stuck connecting must not hold up the shutdown.
      await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      await bot.stop();
      await wechaty.stop().catch((err: unknown) => {
        logger.warn({ event: "wechat.stop_failed", err: { name: (err as Error)?.name } }, "stop failed");
      });
    },
  };
}
