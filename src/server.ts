import { createKnowledgeStore, loadStaticKnowledge } from "./admin/knowledge-store.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config/config.ts";
import { databaseProvider, sqliteFilePath } from "./config/database-url.ts";
import { applyMigrations } from "./db/migrate.ts";
import { createPrismaClient, prepareDatabase } from "./db/prisma-client.ts";
import { startSqliteCheckpointer } from "./db/sqlite-checkpointer.ts";
import { createLogger } from "./shared/logger.ts";
import { loadCommonPasswords } from "./staff/common-passwords.ts";
import { createStaffService } from "./staff/staff-service.ts";

/** Start-up: config → migrations → knowledge → app → listen; SIGTERM/SIGINT close it gracefully. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  await applyMigrations(config.DATABASE_URL);
  const db = createPrismaClient(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
  await prepareDatabase(db, config.DATABASE_URL);
  const checkpointer =
    databaseProvider(config.DATABASE_URL) === "sqlite"
      ? await startSqliteCheckpointer(db, sqliteFilePath(config.DATABASE_URL), (err) =>
          logger.error({ err }, "SQLite checkpointer"),
        )
      : undefined;
  // Live knowledge: the files plus administrators' edits and curated answers, rebuilt on each change.
  const knowledgeStore = await createKnowledgeStore({
    db,
    base: loadStaticKnowledge({ directoryOverrides: config.DIRECTORY_OVERRIDES }),
  });
  const knowledge = knowledgeStore.knowledge;
  // Another instance's admin edits reach this one within 30 s.
  const stopWatching = knowledgeStore.watch(30_000, (err) => logger.error({ err }, "knowledge refresh failed"));
  if (config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
    const staff = createStaffService({ db, blocklist: loadCommonPasswords() });
    const { created } = await staff.ensureFirstAdmin({
      username: config.ADMIN_USERNAME,
      password: config.ADMIN_PASSWORD,
    });
    if (created) logger.info("first staff admin created");
  }
  const app = await buildApp({ config, db, knowledge, knowledgeStore, logger });
  app.addHook("onClose", async () => {
    stopWatching();
    await checkpointer?.stop();
    await db.$disconnect();
  });
  let wechat: { stop(): Promise<void> } | undefined;
  if (config.WECHAT_BOT) {
    // Imported only when on: Wechaty and its puppets are heavy.
    const { startInServiceBot } = await import("../bots/wechat/in-service.ts");
    wechat = startInServiceBot({ store: app.wechatStore, idSecret: config.WECHAT_ID_SECRET, logger });
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    // Stop accepting, finish requests in flight, close sockets with 1012 (app.close()); never hang a deploy.
    setTimeout(() => {
      logger.error("shutdown timed out");
      process.exit(1);
    }, 25_000).unref();
    try {
      await wechat?.stop(); // before app.close(): its last confirmations need the database
      await app.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config); stderr is the last resort.
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
