/**
 * WAL checkpoints off the event loop (SQLite only).
 *
 * better-sqlite3 is synchronous: with SQLite's default auto-checkpoint, every
 * ~1,000 pages one unlucky commit also copies the WAL into the database file
 * and syncs it, blocking the event loop — every request waits. Measured with
 * `npm run load` (Q&A at 300 req/s): p99 26.7 ms and max 100 ms with
 * auto-checkpoints, 20.2 ms and 61 ms without; chat throughput 595 → 769 req/s.
 *
 * So the app's connection stops auto-checkpointing and a worker thread with
 * its own connection runs `wal_checkpoint(PASSIVE)` every 100 ms: PASSIVE
 * never waits for readers or writers, so it cannot block the app's commits.
 *
 * PASSIVE alone is not enough under sustained writes: the WAL is only rewound
 * when a writer finds it fully checkpointed, and with commits arriving while
 * every checkpoint runs it never is — at 500 chat messages/s the WAL grew by
 * 33 MB/s without bound (2 GB in a minute; found with `npm run load`). So once
 * the WAL passes `restartAtBytes` the worker follows the PASSIVE pass with a
 * RESTART: it copies the few frames written since, waits for the writer, and
 * lets the next commit rewind the log; journal_size_limit then trims the file.
 * A RESTART holds writers back for its catch-up (~20 ms on this machine's
 * disk), once per `restartAtBytes` of log. Larger limits were measured worse,
 * not better: the catch-up grows with the log (`npm run load`: 64 MB →
 * RESTARTs of ~55 ms, 128 MB → ~75 ms). While one runs, a flag shared with the
 * worker closes the app's write gate (raw-sql.ts): the chat path's
 * transactions wait for it asynchronously instead of sleeping in SQLite's busy
 * handler, which would stop the whole event loop — every request, not only
 * the writes.
 *
 * If the worker fails or exits, the app's connection goes back to
 * auto-checkpointing (nothing lost; only the latency win).
 *
 * The worker talks to the database through better-sqlite3, the driver under
 * Prisma's SQLite adapter: it only runs checkpoint pragmas, never reads or
 * writes data.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { BUSY_TIMEOUT_MS, type Db, rawSqlOf } from "./prisma-client.ts";
import type { WriteGate } from "./raw-sql.ts";

/** SQLite's own default, restored when the worker is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/**
 * Short passes: each copies less and syncs less, and the RESTART that follows a
 * pass past the size limit has fewer frames left to copy while it holds writers.
 */
const INTERVAL_MS = 100;
/** WAL size past which a PASSIVE pass is followed by a RESTART (about a quarter second of writes at 500 messages/s). */
export const WAL_RESTART_BYTES = 8 * 1024 * 1024;

// Plain CommonJS so the worker needs no TypeScript loader; the driver's path comes from here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
const pageSize = db.pragma("page_size", { simple: true });
const gate = new Int32Array(workerData.gate);
const CLOSED = 0;
const INSIDE = 1;
function restart() {
  // Close the gate, then let the app's transactions already inside finish (bounded): it never sleeps on our lock.
  Atomics.store(gate, CLOSED, 1);
  try {
    const until = Date.now() + 1000;
    for (let inside = Atomics.load(gate, INSIDE); inside !== 0 && Date.now() < until; inside = Atomics.load(gate, INSIDE)) {
      Atomics.wait(gate, INSIDE, inside, 10);
    }
    db.pragma("wal_checkpoint(RESTART)");
  } finally {
    Atomics.store(gate, CLOSED, 0);
    Atomics.notify(gate, CLOSED);
  }
}
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    if (passive && passive.log * pageSize >= workerData.restartAtBytes) restart();
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message ? err.message : err) });
  }
}, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ ready: true });
`;

const CLOSED = 0;
const INSIDE = 1;

/**
 * The app's side of the gate the worker closes for a RESTART (Dekker-style:
 * count in, then check; the worker closes, then waits for the count to drop).
 * A wait never outlasts the app's own busy_timeout: past it the transaction
 * goes ahead and SQLite's lock decides.
 */
function restartGate(state: Int32Array): WriteGate {
  return {
    async enter() {
      const until = Date.now() + BUSY_TIMEOUT_MS;
      for (;;) {
        Atomics.add(state, INSIDE, 1);
        if (Atomics.load(state, CLOSED) === 0 || Date.now() >= until) return;
        Atomics.sub(state, INSIDE, 1);
        Atomics.notify(state, INSIDE);
        const wait = Atomics.waitAsync(state, CLOSED, 1, Math.max(1, until - Date.now()));
        if (wait.async) await wait.value;
      }
    },
    leave() {
      Atomics.sub(state, INSIDE, 1);
      Atomics.notify(state, INSIDE);
    },
  };
}

export interface SqliteCheckpointer {
  stop(): Promise<void>;
}

export async function startSqliteCheckpointer(
  db: Db,
  file: string,
  onError: (err: Error) => void,
  intervalMs = INTERVAL_MS,
  restartAtBytes = WAL_RESTART_BYTES,
): Promise<SqliteCheckpointer> {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  // [closed, inside]: the worker closes the gate for a RESTART; the app's raw-SQL transactions count themselves in and out.
  const gate = new SharedArrayBuffer(8);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs, restartAtBytes, gate },
  });
  worker.unref();
  let stopping = false;
  const fallBack = (err: Error) => {
    if (stopping) return;
    onError(err);
    rawSqlOf(db).setWriteGate(null);
    db.$executeRawUnsafe(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`).catch(onError);
  };
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  worker.on("message", (m: { error?: string }) => {
    if (m.error) onError(new Error(`WAL checkpoint failed: ${m.error}`));
  });
  worker.on("error", fallBack);
  worker.on("exit", (code) => fallBack(new Error(`WAL checkpoint worker exited (${code})`)));
  // Only now that the worker runs: the app's connection leaves checkpoints to it.
  await db.$executeRawUnsafe("PRAGMA wal_autocheckpoint = 0");
  // Once a RESTART has rewound the log, the next commit trims the file back to this: a burst does not leave it at its peak.
  await db.$queryRawUnsafe(`PRAGMA journal_size_limit = ${2 * restartAtBytes}`);
  rawSqlOf(db).setWriteGate(restartGate(new Int32Array(gate)));
  return {
    async stop() {
      stopping = true;
      rawSqlOf(db).setWriteGate(null);
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage("stop");
      await exited;
      await db.$executeRawUnsafe(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`).catch(() => {});
    },
  };
}
