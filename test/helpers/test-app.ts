import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { inject } from "vitest";
import { buildApp, type Knowledge } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createPrismaClient, type Db, prepareDatabase } from "../../src/db/prisma-client.ts";
import { loadKnowledge } from "../../src/knowledge/load-knowledge.ts";
import { createLogger } from "../../src/shared/logger.ts";

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

/** A real app on its own copy of the migrated template database. */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "fuer-app-"));
  const file = join(dir, "app.db");
  copyFileSync(inject("templateDb"), file);
  const config = loadConfig({ DATABASE_URL: `file:${file}`, LOG_LEVEL: "info", ...env });
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
