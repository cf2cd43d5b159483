import { z } from "zod";
import { MIN_BOT_TOKEN_LENGTH } from "../../src/channels/wechat/bot-auth-fns.ts";
import { MIN_SECRET_LENGTH } from "../../src/channels/wechat/contact-crypto-fns.ts";

/** The bot in its own process (`npm run bot`). The puppet's variables (WECHATY_PUPPET, …) are read by Wechaty itself. */
const botConfigSchema = z.object({
  /** Where the service runs, e.g. https://fuer.example.cn (its /api/bot/wechat routes). */
  BOT_SERVICE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of the service" }),
  /** Same value as the service's BOT_API_TOKEN. */
  BOT_API_TOKEN: z.string().min(MIN_BOT_TOKEN_LENGTH),
  /** Hashes and encrypts contact ids; keep it stable (changing it starts every resident afresh). */
  WECHAT_ID_SECRET: z.string().min(MIN_SECRET_LENGTH),
  /** Names the Wechaty memory card file that keeps the login session. */
  WECHATY_NAME: z.string().min(1).default("jiyuan-fuer-bot"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type BotConfig = Readonly<z.infer<typeof botConfigSchema>>;

export function loadBotConfig(env: NodeJS.ProcessEnv = process.env): BotConfig {
  const parsed = botConfigSchema.safeParse(env);
  if (!parsed.success) {
    // Names the variable, never its value (two of them are secrets).
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid bot configuration: ${detail}`);
  }
  return Object.freeze(parsed.data);
}
