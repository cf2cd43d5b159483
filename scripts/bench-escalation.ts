/**
 * How long from a resident's urgent report to a staff console hearing of it.
 *
 * Starts the real server in its own process (own SQLite file, first admin from
 * ADMIN_USERNAME/ADMIN_PASSWORD — admins see every queue), signs in over HTTP,
 * opens /ws/staff with the session cookie and the right Origin, then sends
 * urgent reports over HTTP (POST /api/chat, each a new conversation) and, for
 * each, measures the time from sending the POST to receiving its `case_event`
 * (created) on the staff socket. Prints p50 / p99 / max.
 *
 * Options (env): BENCH_REPORTS (default 200), BENCH_CONCURRENCY (default 4),
 * BENCH_PORT (default 3998).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebSocket } from "ws";
import { urgentTexts } from "./lib/dev-sets.ts";
import { type ServerProcess, startServer } from "./lib/server-process.ts";
import { loginStaff, openStaffConsole } from "./lib/staff-console.ts";
import { percentile } from "./lib/stats.ts";

const reports = Number(process.env.BENCH_REPORTS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const port = Number(process.env.BENCH_PORT ?? 3998);
const base = `http://127.0.0.1:${port}`;
const admin = { username: "benchadmin", password: "Bench-lantern-river-9274" };
/** A report not seen on the socket this long after its POST counts as missed. */
const MISS_AFTER_MS = 10_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fuer-bench-esc-"));
  let server: ServerProcess | undefined;
  let ws: WebSocket | undefined;
  try {
    server = await startServer({
      port,
      databaseUrl: `file:${join(dir, "bench.db")}`,
      env: { ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password },
    });
    const { cookie } = await loginStaff(base, admin);

    // caseId → when its event arrived; it may arrive before the POST's own response does.
    const seen = new Map<string, number>();
    const waiting = new Map<string, (at: number) => void>();
    ws = await openStaffConsole(base, cookie, (caseId, at) => {
      const resolve = waiting.get(caseId);
      if (resolve) resolve(at);
      else seen.set(caseId, at);
    });

    const texts = urgentTexts();
    const latencies: number[] = [];
    let missed = 0;
    let notUrgent = 0;
    let next = 0;

    async function one(i: number): Promise<void> {
      const text = texts[i % texts.length] as string;
      const sent = performance.now();
      const res = await fetch(`${base}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, channel: "web" }),
      });
      const body = (await res.json()) as { escalation: { caseId: string } | null };
      if (!body.escalation) {
        notUrgent++;
        return;
      }
      const { caseId } = body.escalation;
      const early = seen.get(caseId);
      const arrived =
        early ??
        (await new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => {
            waiting.delete(caseId);
            resolve(null);
          }, MISS_AFTER_MS);
          waiting.set(caseId, (at) => {
            clearTimeout(timer);
            waiting.delete(caseId);
            resolve(at);
          });
        }));
      if (arrived === null) missed++;
      else latencies.push(arrived - sent);
    }

    // Warm-up (JIT, SQLite page cache, Prisma query plans), not measured.
    for (let i = 0; i < 10; i++) await one(i);
    latencies.length = 0;

    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.max(1, concurrency) }, async () => {
        for (let i = next++; i < reports; i = next++) await one(i);
      }),
    );
    const elapsed = performance.now() - started;
    const sorted = [...latencies].sort((a, b) => a - b);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const out = [
      `escalation latency: POST /api/chat sent → case_event (created) on /ws/staff; loopback, SQLite, ${concurrency} concurrent`,
      `reports ${reports}  measured ${sorted.length}  missed ${missed}  not triaged urgent ${notUrgent}  (${(reports / (elapsed / 1000)).toFixed(1)} reports/s)`,
      `p50 ${ms(percentile(sorted, 50))}   p99 ${ms(percentile(sorted, 99))}   max ${ms(sorted.at(-1) ?? Number.NaN)}`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
    if (missed > 0) process.exitCode = 1;
  } finally {
    ws?.terminate();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
