import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { buildApp, type Knowledge } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, type Db, prepareDatabase } from "../../src/db/prisma-client.ts";
import { loadKnowledge } from "../../src/knowledge/load-knowledge.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { createTestDatabase } from "./test-db.ts";

let knowledge: Knowledge | undefined;
/** Knowledge is read-only: build it once per test file. */
export function sharedKnowledge(): Knowledge {
  knowledge ??= loadKnowledge({});
  return knowledge;
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  /** Every log line the app wrote, for privacy assertions. */
  logs: string[];
  close(): Promise<void>;
}

/** A real app on its own copy of the migrated template database (SQLite, or PostgreSQL with TEST_DATABASE_URL). */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase("app");
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: "info", ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const db = createPrismaClient(config.DATABASE_URL);
  await prepareDatabase(db, config.DATABASE_URL);
  const app = await buildApp({ config, db, knowledge: sharedKnowledge(), logger: createLogger("info", sink) });
  await app.ready();
  return {
    app,
    db,
    logs,
    async close() {
      await app.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}
