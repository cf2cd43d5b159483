/**
 * npm run bench — autocannon over loopback against one instance of the real
 * server (its own process, its own SQLite file): the chat endpoint with a mix
 * of dev-set questions, and the trivial JSON route /api/info in the same run.
 * Prints req/s and latency p50/p99 for both and their throughput ratio.
 *
 * Options (env): BENCH_SECONDS (default 20), BENCH_CONNECTIONS (default 10),
 * BENCH_PORT (default 3999).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon, { type Result } from "autocannon";

const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const port = Number(process.env.BENCH_PORT ?? 3999);
const base = `http://127.0.0.1:${port}`;

function devQuestions(): string[] {
  const qa = readFileSync("eval/qa-dev.jsonl", "utf8").trim().split("\n");
  const triage = readFileSync("eval/triage-dev.jsonl", "utf8").trim().split("\n");
  const texts = qa.map((l) => (JSON.parse(l) as { text: string }).text);
  // A realistic mix: mostly questions, a few reports (which commit cases).
  const reports = triage.map((l) => JSON.parse(l) as { text: string; urgent: boolean }).filter((r) => r.urgent);
  return [...texts, ...reports.slice(0, Math.max(1, Math.round(texts.length / 20))).map((r) => r.text)];
}

async function waitForHealth(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("server did not become healthy");
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
  let server: ChildProcess | undefined;
  try {
    server = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: `file:${join(dir, "bench.db")}`,
        LOG_LEVEL: "warn",
        RATE_LIMIT_PER_MINUTE: "100000",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    await waitForHealth(60_000);
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
    server?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
