import { z } from "zod";
import { databaseProvider, defaultDatabaseUrl } from "./database-url.ts";

const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    DATABASE_URL: z
      .string()
      .default("")
      .transform((v) => v || defaultDatabaseUrl)
      .refine(
        (v) => {
          try {
            databaseProvider(v);
            return true;
          } catch {
            return false;
          }
        },
        { message: "must start with file:, postgres:// or postgresql://" },
      ),
    /**
     * PostgreSQL connections per instance. Few: on the 2-core load machine 4 gave lower tail
     * latency than 10 (fewer backends competing for the cores); instances × this must stay
     * under the server's max_connections. Ignored on SQLite (one connection).
     */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
    /**
     * Redis (redis:// or rediss://) for the rate-limit counters several instances share; unset:
     * PostgreSQL's table holds them (in memory on SQLite, one instance).
     */
    REDIS_URL: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .refine((v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v), {
        message: "must start with redis:// or rediss://",
      }),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Chat messages one resident may send per minute (web, mini-program, WebSocket). */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
    /** Days a conversation without a case is kept before the purge job deletes it. */
    CONVERSATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** Days after a conversation's last case closed before its texts and contact data are anonymised. */
    CASE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
    /** Trust X-Forwarded-For from a reverse proxy (set when behind nginx or a load balancer). */
    TRUST_PROXY: z
      .enum(["true", "false", "1", "0", ""])
      .default("false")
      .transform((v) => v === "true" || v === "1"),
    /** Origins (comma-separated, e.g. https://servicewechat.com) allowed to call the resident API from a browser; none by default. */
    CORS_ORIGINS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim().replace(/\/+$/, ""))
          .filter((o) => o !== ""),
      )
      .refine((list) => list.every((o) => /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(o)), {
        message: "must be comma-separated origins such as https://servicewechat.com (scheme and host, no path)",
      }),
    /** Optional CSV/YAML of verified local directory data applied over the defaults. */
    DIRECTORY_OVERRIDES: z.string().optional(),
    /** `on` runs the WeChat bot inside the service (bots/wechat/README.md). */
    WECHAT_BOT: z
      .enum(["on", "off", ""])
      .default("off")
      .transform((v) => v === "on"),
    /** Hashes and encrypts WeChat contact ids (at least 32 characters); needed with WECHAT_BOT=on. */
    WECHAT_ID_SECRET: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .refine((v) => v === undefined || v.length >= 32, { message: "must be at least 32 characters" }),
    /** Bearer token (at least 32 characters) for /api/bot/wechat/*, used by a bot in its own process; unset: no bot API. */
    BOT_API_TOKEN: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .refine((v) => v === undefined || v.length >= 32, { message: "must be at least 32 characters" }),
    /** First staff admin, created on start only while no admin account exists; remove both after the first start. */
    ADMIN_USERNAME: z
      .string()
      .trim()
      .optional()
      .transform((v) => v || undefined),
    ADMIN_PASSWORD: z
      .string()
      .optional()
      .transform((v) => v || undefined),
  })
  .refine((c) => (c.ADMIN_USERNAME === undefined) === (c.ADMIN_PASSWORD === undefined), {
    message: "ADMIN_USERNAME and ADMIN_PASSWORD must be set together",
    path: ["ADMIN_PASSWORD"],
  })
  .refine((c) => !c.WECHAT_BOT || c.WECHAT_ID_SECRET !== undefined, {
    message: "WECHAT_BOT=on needs WECHAT_ID_SECRET",
    path: ["WECHAT_ID_SECRET"],
  });

export type AppConfig = Readonly<z.infer<typeof configSchema>>;

/** Parses the environment once; a bad value stops start-up with the variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${detail}`);
  }
  return Object.freeze(parsed.data);
}
