/**
 * The real app with live knowledge (a KnowledgeStore over the test's own copy
 * of the database), as server.ts builds it. The static knowledge is loaded
 * once per test file and shared between apps.
 */
import { Writable } from "node:stream";
import {
  createKnowledgeStore,
  type KnowledgeStore,
  loadStaticKnowledge,
  type StaticKnowledge,
} from "../../src/admin/knowledge-store.ts";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, prepareDatabase } from "../../src/db/prisma-client.ts";
import { createLogger } from "../../src/shared/logger.ts";
import type { TestApp } from "../helpers/test-app.ts";
import { createTestDatabase } from "../helpers/test-db.ts";

let base: StaticKnowledge | undefined;
export function sharedStaticKnowledge(): StaticKnowledge {
  base ??= loadStaticKnowledge();
  return base;
}

export interface AdminTestApp extends TestApp {
  store: KnowledgeStore;
}

export async function buildAdminTestApp(env: Record<string, string> = {}): Promise<AdminTestApp> {
  const database = await createTestDatabase("admin");
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: "info", RATE_LIMIT_PER_MINUTE: "1000", ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const db = createPrismaClient(config.DATABASE_URL);
  await prepareDatabase(db, config.DATABASE_URL);
  const store = await createKnowledgeStore({ db, base: sharedStaticKnowledge() });
  const app = await buildApp({
    config,
    db,
    knowledge: store.knowledge,
    knowledgeStore: store,
    logger: createLogger("info", sink),
    timers: false,
  });
  await app.ready();
  return {
    app,
    db,
    logs,
    store,
    async close() {
      await app.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}
