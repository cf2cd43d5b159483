/**
 * `npm run bot`: the WeChat bot in its own process, talking to the service at
 * BOT_SERVICE_URL. `npm run bot -- --demo`: a demo on wechaty-puppet-mock.
 */
import { createLogger } from "../../src/shared/logger.ts";
import { loadBotConfig } from "./bot-config.ts";
import { createHttpCore } from "./http-core.ts";
import { startWechatBot } from "./run.ts";

async function runStandalone(): Promise<void> {
  const config = loadBotConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const running = startWechatBot({
    core: createHttpCore({ baseUrl: config.BOT_SERVICE_URL, token: config.BOT_API_TOKEN }),
    idSecret: config.WECHAT_ID_SECRET,
    logger,
    name: config.WECHATY_NAME,
  });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ event: "wechat.shutdown", signal }, "shutting down");
    await running.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function runDemoAndExit(): Promise<void> {
  // Loaded only for the demo: the mock puppet has no place in a real run.
  const { runDemo } = await import("./demo.ts");
  await runDemo();
  process.exit(0);
}

const demo = process.argv.slice(2).includes("--demo");
(demo ? runDemoAndExit() : runStandalone()).catch((err: unknown) => {
  // The logger may not exist yet (bad config); stderr is the last resort.
  process.stderr.write(`bot failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
