/**
 * npm run bench — autocannon over loopback against one instance of the real
 * server (its own process, its own SQLite file): the chat endpoint with a mix
 * of dev-set questions, and the trivial JSON route /api/info in the same run.
 * Prints req/s and latency p50/p99 for both and their throughput ratio.
 *
 * Options (env): BENCH_SECONDS (default 20), BENCH_CONNECTIONS (default 10),
 * BENCH_PORT (default 3999).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon, { type Result } from "autocannon";
import { devQuestionTexts, urgentTexts } from "./lib/dev-sets.ts";
import { type ServerProcess, startServer } from "./lib/server-process.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const port = Number(process.env.BENCH_PORT ?? 3999);
const base = `http://127.0.0.1:${port}`;

function devQuestions(): string[] {
  const texts = devQuestionTexts();
  // A realistic mix: mostly questions, a few reports (which commit cases).
  return [...texts, ...urgentTexts().slice(0, Math.max(1, Math.round(texts.length / 20)))];
}

function run(opts: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function line(name: string, r: Result): string {
  return `${name.padEnd(14)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   errors ${r.errors}  non-2xx ${r.non2xx}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fuer-bench-"));
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ port, databaseUrl: `file:${join(dir, "bench.db")}` });
    const questions = devQuestions();
    let i = 0;
    const chatRequests = [
      {
        method: "POST" as const,
        path: "/api/chat",
        headers: { "content-type": "application/json" },
        setupRequest: (req: autocannon.Request) => {
          const text = questions[i++ % questions.length];
          return { ...req, body: JSON.stringify({ text, channel: "web" }) };
        },
      },
    ];
    // Warm-up so JIT and SQLite caches do not skew the first measurement.
    await run({ url: base, connections, duration: 3, requests: chatRequests });
    const chat = await run({ url: base, connections, duration: seconds, requests: chatRequests });
    const trivial = await run({ url: `${base}/api/info`, connections, duration: seconds });
    const out = [
      `autocannon, ${connections} connections, ${seconds}s each, loopback, SQLite, ${questions.length} distinct messages`,
      line("/api/chat", chat),
      line("/api/info", trivial),
      `ratio chat/trivial throughput: ${(chat.requests.average / trivial.requests.average).toFixed(3)}`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
