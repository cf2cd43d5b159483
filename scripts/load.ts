/**
 * npm run load — capacity figures over loopback against real server processes
 * (each its own process, spawned like `npm run bench`):
 *
 *  1. per database (a SQLite temp file; a scratch PostgreSQL database), one instance:
 *     a. fixed rate: the chat mix (POST /api/chat, dev-set questions plus every
 *        20th message an urgent report; conversations of 4 messages, each
 *        message with a fresh clientMessageId as the web page sends) at
 *        LOAD_RATE req/s for LOAD_SECONDS — p50/p90/p99/max, errors, non-2xx,
 *        achieved req/s; PASS when p99 < LOAD_P99_MS with no error and no non-2xx;
 *     b. the highest sustainable rate (bisection with short runs: p99 under the
 *        target, no errors, ≥ 95% of the rate achieved) and the unconstrained
 *        maximum throughput (autocannon, closed loop);
 *     c. the trivial route GET /api/info at maximum throughput; chat/info ratio;
 *  2. LOAD_WS_SOCKETS concurrent /ws/chat sockets on one instance (SQLite), each
 *     sends one question: answers, errors, the server's RSS before/after, per socket;
 *  3. report → staff console across instances: two instances on one PostgreSQL
 *     database, a console on each, urgent reports alternately to each; the
 *     latency from the report's HTTP acknowledgement (and from its send) to the
 *     `created` case event on the *other* instance's console (and on the same one).
 *
 * Fixed-rate runs use an open-loop paced generator (below): requests are sent
 * on a uniform schedule whatever the server does, and latency is measured from
 * the scheduled send time, so a slow server cannot hide queueing by slowing the
 * client down (coordinated omission). autocannon's `overallRate` is not used by
 * default: it gives every connection a budget per wall-clock second, started in
 * step, so all connections fire together at the top of each second (bursts of
 * `connections` simultaneous requests) and its latency correction assumes a
 * 1 ms interval. LOAD_GENERATOR=autocannon uses it anyway (for comparison).
 *
 * The client runs on the same machine (2 cores here) as the server and, for
 * PostgreSQL, the database: the figures include that contention; the summary
 * reports CPU used by the server, the client and everything else during each run.
 *
 * Env (defaults): LOAD_SECONDS (60), LOAD_RATE (500), LOAD_CONNECTIONS (100),
 * LOAD_P99_MS (25), LOAD_STEP_SECONDS (10), LOAD_SEARCH_STEPS (6),
 * LOAD_MAX_SECONDS (15), LOAD_MAX_CONNECTIONS (10), LOAD_WARMUP_SECONDS (3),
 * LOAD_CONVERSATION_MESSAGES (4), LOAD_URGENT_EVERY (20), LOAD_TIMEOUT_MS (10000),
 * LOAD_GENERATOR (paced | autocannon), LOAD_SKIP_SQLITE, LOAD_SKIP_PG, LOAD_SKIP_WS,
 * LOAD_SKIP_ESCALATION, LOAD_SKIP_SEARCH (set to 1 to skip), LOAD_PG
 * (postgres://postgres@127.0.0.1:5432/postgres), LOAD_PG_DB (fuer_load, dropped
 * and re-created), LOAD_KEEP_DB, LOAD_WS_SOCKETS (2000), LOAD_WS_BATCH (100),
 * LOAD_WS_SEND_RATE (100 messages/s; 0 = all at once), LOAD_WS_TIMEOUT_MS (120000,
 * per answer), LOAD_ESC_REPORTS (400), LOAD_ESC_CONCURRENCY (4), LOAD_PORT (4300;
 * uses the next 4 too), LOAD_LOG_DIR (server logs; a temp dir), LOAD_OUT (JSON path).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import autocannon from "autocannon";
import pg from "pg";
import { WebSocket } from "ws";
import { devQuestionTexts, urgentTexts } from "./lib/dev-sets.ts";
import { cpuSeconds, rssBytes, type ServerProcess, startServer, waitIdle } from "./lib/server-process.ts";
import { loginStaff, openStaffConsole } from "./lib/staff-console.ts";
import { percentile } from "./lib/stats.ts";

// ---------- options ----------
const num = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const flag = (name: string): boolean => ["1", "true", "yes"].includes((process.env[name] ?? "").toLowerCase());

const opt = {
  seconds: num("LOAD_SECONDS", 60),
  rate: num("LOAD_RATE", 500),
  connections: num("LOAD_CONNECTIONS", 100),
  p99Ms: num("LOAD_P99_MS", 25),
  stepSeconds: num("LOAD_STEP_SECONDS", 10),
  searchSteps: num("LOAD_SEARCH_STEPS", 6),
  maxSeconds: num("LOAD_MAX_SECONDS", 15),
  maxConnections: num("LOAD_MAX_CONNECTIONS", 10),
  warmupSeconds: num("LOAD_WARMUP_SECONDS", 3),
  conversationMessages: Math.max(1, num("LOAD_CONVERSATION_MESSAGES", 4)),
  urgentEvery: num("LOAD_URGENT_EVERY", 20),
  timeoutMs: num("LOAD_TIMEOUT_MS", 10_000),
  generator: (process.env.LOAD_GENERATOR ?? "paced") === "autocannon" ? "autocannon" : "paced",
  skipSqlite: flag("LOAD_SKIP_SQLITE"),
  skipPg: flag("LOAD_SKIP_PG"),
  skipWs: flag("LOAD_SKIP_WS"),
  skipEscalation: flag("LOAD_SKIP_ESCALATION"),
  skipSearch: flag("LOAD_SKIP_SEARCH"),
  pg: process.env.LOAD_PG ?? "postgres://postgres@127.0.0.1:5432/postgres",
  pgDb: process.env.LOAD_PG_DB ?? "fuer_load",
  keepDb: flag("LOAD_KEEP_DB"),
  wsSockets: num("LOAD_WS_SOCKETS", 2000),
  wsBatch: Math.max(1, num("LOAD_WS_BATCH", 100)),
  wsSendRate: num("LOAD_WS_SEND_RATE", 100),
  wsTimeoutMs: num("LOAD_WS_TIMEOUT_MS", 120_000),
  escReports: num("LOAD_ESC_REPORTS", 400),
  escConcurrency: Math.max(1, num("LOAD_ESC_CONCURRENCY", 4)),
  port: num("LOAD_PORT", 4300),
  out: process.env.LOAD_OUT,
} as const;

if (!/^[a-z_][a-z0-9_]*$/.test(opt.pgDb)) throw new Error("LOAD_PG_DB must be a plain lower-case identifier");

const ADMIN = { username: "loadadmin", password: "Load-test-Heron-meadow-4817" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[load] ${line}\n`);
const round = (v: number, digits = 1) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);

// ---------- CPU accounting ----------
/** Machine-wide busy CPU (cores) from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

interface CpuUse {
  /** Cores busy on average, whole machine. */
  machine: number | null;
  server: number | null;
  client: number | null;
  /** machine − server − client: PostgreSQL, other agents, the OS. */
  other: number | null;
}

function cpuMeter(pids: number[]): () => CpuUse {
  const t0 = performance.now();
  const m0 = machineJiffies();
  const s0 = pids.map(cpuSeconds);
  const c0 = process.cpuUsage();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const m1 = machineJiffies();
    const ncpu = cpus().length;
    const machine = ((m1.busy - m0.busy) / (m1.total - m0.total)) * ncpu;
    const server = pids.map(cpuSeconds).reduce((a, v, i) => a + (v - (s0[i] ?? 0)), 0) / wall;
    const c = process.cpuUsage(c0);
    const client = (c.user + c.system) / 1e6 / wall;
    return {
      machine: round(machine, 2),
      server: round(server, 2),
      client: round(client, 2),
      other: round(machine - server - client, 2),
    };
  };
}

// ---------- which code ran ----------
/**
 * The server runs src/ through tsx as it is on disk when the instance starts:
 * HEAD plus a hash of the uncommitted changes under src/ and knowledge/, so a
 * run whose phases started different code (someone editing meanwhile) shows it.
 */
function codeState(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const head = git("rev-parse", "--short", "HEAD").trim();
    const untracked = git("ls-files", "--others", "--exclude-standard", "src", "knowledge")
      .trim()
      .split("\n")
      .filter(Boolean);
    const hash = createHash("sha1").update(git("diff", "HEAD", "--", "src", "knowledge"));
    for (const f of untracked) hash.update(f).update(readFileSync(f));
    const dirty = git("status", "--porcelain", "--", "src", "knowledge").trim() !== "";
    return dirty ? `${head}+${hash.digest("hex").slice(0, 10)}` : head;
  } catch {
    return "unknown";
  }
}

// ---------- server logs ----------
const logDir = process.env.LOAD_LOG_DIR ?? mkdtempSync(join(tmpdir(), "fuer-load-logs-"));

interface ServerErrors {
  /** Log lines at level error or fatal (pino ≥ 50). */
  count: number;
  /** How many of each message. */
  messages: Record<string, number>;
  /** Lines that are not pino JSON (Node warnings, crashes), counted apart; their first 120 characters in `messages`. */
  otherLines: number;
  logFile: string;
}

function serverErrors(...files: string[]): ServerErrors {
  const messages: Record<string, number> = {};
  let count = 0;
  let otherLines = 0;
  for (const file of files) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) {
        if (line.trim()) {
          otherLines++;
          const key = `stderr: ${line.slice(0, 120)}`;
          messages[key] = (messages[key] ?? 0) + 1;
        }
        continue;
      }
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) < 50) continue;
        count++;
        const key = entry.msg ?? "(no message)";
        messages[key] = (messages[key] ?? 0) + 1;
      } catch {
        // a partial line
      }
    }
  }
  return { count, messages, otherLines, logFile: files.join(", ") };
}

// ---------- the chat mix ----------
interface Mix {
  /** The next message's text; every `urgentEvery`-th is an urgent report. */
  next(): { text: string; urgent: boolean };
}

function createMix(): Mix {
  const questions = devQuestionTexts();
  const reports = urgentTexts();
  let n = 0;
  return {
    next() {
      const i = n++;
      if (opt.urgentEvery > 0 && i % opt.urgentEvery === opt.urgentEvery - 1) {
        return { text: reports[Math.floor(i / opt.urgentEvery) % reports.length] as string, urgent: true };
      }
      return { text: questions[i % questions.length] as string, urgent: false };
    },
  };
}

function chatBody(text: string, conversationId?: string): string {
  return JSON.stringify({
    text,
    channel: "web",
    clientMessageId: randomUUID(),
    ...(conversationId ? { conversationId } : {}),
  });
}

// ---------- results ----------
interface Latency {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

interface RunResult {
  generator: "paced" | "autocannon-rate" | "autocannon-max";
  route: string;
  /** Requested rate (req/s); null for an unconstrained run. */
  targetRate: number | null;
  seconds: number;
  connections: number;
  sent: number;
  responses: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and client timeouts (LOAD_TIMEOUT_MS). */
  errors: number;
  timeouts: number;
  /** Paced only: requests that waited LOAD_TIMEOUT_MS for a free connection and were never sent (counted in timeouts and errors). */
  expiredInClientQueue?: number;
  statusCodes: Record<string, number>;
  /** 2xx responses per second over the run (until the last response). */
  achievedRps: number | null;
  latencyMs: Latency;
  /** Urgent reports in the mix. */
  urgentSent: number;
  /** Replies carrying an escalation: the reports, plus later messages of their conversation (they attach to the open case). */
  escalations: number;
  cpu: CpuUse;
  /** p99 of the load client's own event-loop delay: high means the client, not the server, was late. */
  clientLoopDelayP99Ms: number | null;
  pass?: boolean;
}

function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(mean),
  };
}

function judge(r: RunResult): boolean {
  return (
    r.latencyMs.p99 !== null &&
    r.latencyMs.p99 < opt.p99Ms &&
    r.errors === 0 &&
    r.non2xx === 0 &&
    r.achievedRps !== null &&
    r.targetRate !== null &&
    r.achievedRps >= 0.95 * r.targetRate
  );
}

// ---------- the open-loop paced generator ----------
/**
 * Schedules `rate` chat requests per second, uniformly, for `seconds`, and
 * keeps at most `connections` in flight over keep-alive sockets. A request
 * due while all are busy waits in the client's queue; its latency (from its
 * scheduled time) includes that wait. One that waited LOAD_TIMEOUT_MS in the
 * queue is never sent and counts as a timeout (`expired`), and one sent but
 * not answered LOAD_TIMEOUT_MS after it was sent is aborted (timeout): so
 * under overload the server keeps working at full capacity on fresh requests
 * rather than on requests their clients have given up on.
 * Conversations of LOAD_CONVERSATION_MESSAGES: a reply puts its conversation
 * back in line for its next message.
 */
async function pacedChat(server: ServerProcess, rate: number, seconds: number, mix: Mix): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opt.connections });
  const ready: { id: string; left: number }[] = [];
  const queue: number[] = [];
  let queueHead = 0;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let responses = 0;
  let ok2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let expired = 0;
  let urgentSent = 0;
  let escalations = 0;
  let inflight = 0;
  let scheduled = 0;
  let lastResponseAt = 0;
  let onDrained: (() => void) | null = null;

  const pump = () => {
    while (inflight < opt.connections && queueHead < queue.length) {
      const intended = queue[queueHead++] as number;
      if (performance.now() - intended >= opt.timeoutMs) {
        expired++;
        timeouts++;
        errors++;
        continue;
      }
      fire(intended);
    }
    if (queueHead > 4096) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    if (inflight === 0 && queueHead >= queue.length && scheduled === total && onDrained) onDrained();
  };

  const fire = (intended: number) => {
    const conversation = ready.shift();
    const { text, urgent } = mix.next();
    if (urgent) urgentSent++;
    const body = chatBody(text, conversation?.id);
    sent++;
    inflight++;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      inflight--;
      // Not inline: a burst of settles would otherwise recurse through pump → fire.
      setImmediate(pump);
    };
    const req = http.request(
      {
        agent,
        host: "127.0.0.1",
        port: server.port,
        method: "POST",
        path: "/api/chat",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (settled) return;
          const at = performance.now();
          latencies.push(at - intended);
          lastResponseAt = at;
          responses++;
          const status = res.statusCode ?? 0;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            ok2xx++;
            const reply = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
              conversationId: string;
              escalation: unknown;
            };
            if (reply.escalation) escalations++;
            const left = (conversation?.left ?? opt.conversationMessages) - 1;
            if (left > 0) ready.push({ id: reply.conversationId, left });
          }
          settle();
        });
        res.on("error", () => {
          if (settled) return;
          errors++;
          settle();
        });
      },
    );
    const timer = setTimeout(() => {
      if (settled) return;
      timeouts++;
      errors++;
      settle();
      req.destroy();
    }, opt.timeoutMs);
    req.on("error", () => {
      if (settled) return;
      errors++;
      settle();
    });
    req.end(body);
  };

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const meter = cpuMeter([server.pid]);
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const drained = new Promise<void>((resolve) => (onDrained = resolve));
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (scheduled < total && start + (scheduled * 1000) / rate <= now) {
        queue.push(start + (scheduled * 1000) / rate);
        scheduled++;
      }
      pump();
      if (scheduled < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  pump();
  await drained;
  const cpu = meter();
  loop.disable();
  agent.destroy();
  const elapsed = ((lastResponseAt || performance.now()) - start) / 1000;
  return {
    generator: "paced",
    route: "POST /api/chat",
    targetRate: rate,
    seconds,
    connections: opt.connections,
    sent,
    responses,
    ok2xx,
    non2xx: responses - ok2xx,
    errors,
    timeouts,
    expiredInClientQueue: expired,
    statusCodes,
    achievedRps: round(ok2xx / Math.max(elapsed, seconds)),
    latencyMs: latencyOf(latencies),
    urgentSent,
    escalations,
    cpu,
    clientLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
  };
}

// ---------- autocannon ----------
function runAutocannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** One conversation per connection at a time: autocannon resets the context after the last request of the list. */
function chatRequests(mix: Mix, counters: { urgentSent: number; escalations: number }): autocannon.Request[] {
  return Array.from({ length: opt.conversationMessages }, () => ({
    method: "POST" as const,
    path: "/api/chat",
    headers: { "content-type": "application/json" },
    setupRequest: (req: autocannon.Request, context: Record<string, unknown>) => {
      const { text, urgent } = mix.next();
      if (urgent) counters.urgentSent++;
      const conversationId = typeof context.conversationId === "string" ? context.conversationId : undefined;
      return { ...req, body: chatBody(text, conversationId) };
    },
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      if (status !== 200) return;
      const reply = JSON.parse(body) as { conversationId: string; escalation: unknown };
      context.conversationId = reply.conversationId;
      if (reply.escalation) counters.escalations++;
    },
  })) as unknown as autocannon.Request[];
}

async function autocannonRun(
  server: ServerProcess,
  route: "chat" | "info",
  seconds: number,
  connections: number,
  mix: Mix,
  rate?: number,
): Promise<RunResult> {
  const counters = { urgentSent: 0, escalations: 0 };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const meter = cpuMeter([server.pid]);
  const result = await runAutocannon({
    url: route === "info" ? `${server.base}/api/info` : server.base,
    connections,
    duration: seconds,
    timeout: Math.ceil(opt.timeoutMs / 1000),
    ...(route === "chat" ? { requests: chatRequests(mix, counters) } : {}),
    ...(rate ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
  });
  const cpu = meter();
  loop.disable();
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count ?? 0;
  return {
    generator: rate ? "autocannon-rate" : "autocannon-max",
    route: route === "info" ? "GET /api/info" : "POST /api/chat",
    targetRate: rate ?? null,
    seconds,
    connections,
    sent: result.requests.sent,
    responses: result.requests.total,
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    achievedRps: round(result["2xx"] / result.duration),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.average),
    },
    urgentSent: counters.urgentSent,
    escalations: counters.escalations,
    cpu,
    clientLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
  };
}

async function atRate(server: ServerProcess, rate: number, seconds: number, mix: Mix): Promise<RunResult> {
  const r =
    opt.generator === "autocannon"
      ? await autocannonRun(server, "chat", seconds, opt.connections, mix, rate)
      : await pacedChat(server, rate, seconds, mix);
  r.pass = judge(r);
  return r;
}

// ---------- PostgreSQL ----------
function pgUrl(db: string): string {
  const u = new URL(opt.pg);
  u.pathname = `/${db}`;
  return u.toString();
}

async function pgAdmin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: opt.pg });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

async function recreateDb(): Promise<string> {
  await pgAdmin(`DROP DATABASE IF EXISTS "${opt.pgDb}" WITH (FORCE)`);
  await pgAdmin(`CREATE DATABASE "${opt.pgDb}"`);
  return pgUrl(opt.pgDb);
}

// ---------- 1. HTTP per database ----------
interface DbReport {
  database: "sqlite" | "postgresql";
  fixed: RunResult;
  chatMax: RunResult;
  infoMax: RunResult;
  /** chat 2xx/s ÷ info 2xx/s, both unconstrained. */
  ratioChatToInfo: number | null;
  search: RunResult[];
  /** Highest rate that passed (p99, errors, ≥ 95% achieved); 0 when none did. */
  sustainableRps: number | null;
  /** Lowest rate that failed in the search. */
  firstFailingRps: number | null;
  serverErrors: ServerErrors;
  /** codeState() when the instance started. */
  code: string;
}

function describe(r: RunResult): string {
  const l = r.latencyMs;
  return `${r.route} ${r.targetRate === null ? "max" : `${r.targetRate}/s`}: ${r.achievedRps} ok/s, p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} max ${l.max} ms, errors ${r.errors} (timeouts ${r.timeouts}${r.expiredInClientQueue ? `, ${r.expiredInClientQueue} never sent` : ""}), non-2xx ${r.non2xx}, cpu server ${r.cpu.server} client ${r.cpu.client} other ${r.cpu.other}${r.pass === undefined ? "" : r.pass ? " PASS" : " FAIL"}`;
}

/**
 * Between runs: a pause, then until the server is idle — after an overloaded
 * run it is still finishing requests whose clients gave up (timed out), and
 * those would count against the next run.
 */
async function settle(server: ServerProcess): Promise<void> {
  await sleep(1000);
  const waited = await waitIdle(server.pid, 120_000);
  if (waited === null) log("  server still busy after 120 s; measuring anyway");
  else if (waited > 1) log(`  waited ${waited.toFixed(1)} s for the server to go idle`);
}

async function searchSustainable(server: ServerProcess, mix: Mix, chatMaxRps: number): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  const step = async (rate: number) => {
    await settle(server);
    const r = await atRate(server, rate, opt.stepSeconds, mix);
    log(`  step ${describe(r)}`);
    runs.push(r);
    return r.pass === true;
  };
  // Above the closed-loop maximum nothing is sustainable: start the bisection there.
  let hi = Math.max(2, Math.ceil(chatMaxRps));
  if (await step(hi)) return runs;
  let lo = 0;
  const grain = Math.max(1, Math.round(hi / 100));
  for (let i = 1; i < opt.searchSteps && hi - lo > grain; i++) {
    const mid = Math.max(1, Math.round((lo + hi) / 2 / grain) * grain);
    if (mid <= lo || mid >= hi) break;
    if (await step(mid)) lo = mid;
    else hi = mid;
  }
  return runs;
}

async function httpPhase(database: "sqlite" | "postgresql", port: number): Promise<DbReport> {
  const dir = mkdtempSync(join(tmpdir(), "fuer-load-"));
  const databaseUrl = database === "sqlite" ? `file:${join(dir, "load.db")}` : await recreateDb();
  const logFile = join(logDir, `${database}.log`);
  const code = codeState();
  log(`${database}: starting an instance on :${port} (log ${logFile})`);
  const server = await startServer({ port, databaseUrl, readyPath: "/readyz", logFile });
  try {
    const mix = createMix();
    log(`${database}: warm-up ${opt.warmupSeconds}s`);
    if (opt.warmupSeconds > 0) await autocannonRun(server, "chat", opt.warmupSeconds, opt.maxConnections, mix);
    await settle(server);
    log(`${database}: fixed rate ${opt.rate}/s for ${opt.seconds}s (${opt.generator}, ${opt.connections} connections)`);
    const fixed = await atRate(server, opt.rate, opt.seconds, mix);
    log(`  ${describe(fixed)}`);
    await settle(server);
    const chatMax = await autocannonRun(server, "chat", opt.maxSeconds, opt.maxConnections, mix);
    log(`  ${describe(chatMax)}`);
    await settle(server);
    const infoMax = await autocannonRun(server, "info", opt.maxSeconds, opt.maxConnections, mix);
    log(`  ${describe(infoMax)}`);
    const search = opt.skipSearch ? [] : await searchSustainable(server, mix, chatMax.achievedRps ?? 1);
    const passed = search.filter((r) => r.pass).map((r) => r.targetRate ?? 0);
    const failed = search.filter((r) => !r.pass).map((r) => r.targetRate ?? 0);
    return {
      database,
      fixed,
      chatMax,
      infoMax,
      ratioChatToInfo: round((chatMax.achievedRps ?? Number.NaN) / (infoMax.achievedRps ?? Number.NaN), 4),
      search,
      sustainableRps: search.length ? Math.max(0, ...passed) : null,
      firstFailingRps: failed.length ? Math.min(...failed) : null,
      serverErrors: serverErrors(logFile),
      code,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- 2. many /ws/chat sockets ----------
interface Memory {
  rssMiB: number | null;
  /** process_resident_memory_bytes from /metrics. */
  metricsRssMiB: number | null;
  heapUsedMiB: number | null;
}

async function memoryOf(server: ServerProcess): Promise<Memory> {
  const mib = (b: number) => round(b / 1024 / 1024, 1);
  let metricsRss = Number.NaN;
  let heap = Number.NaN;
  try {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    const grab = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]);
    metricsRss = grab("process_resident_memory_bytes");
    heap = grab("nodejs_heap_size_used_bytes");
  } catch {
    // /metrics unavailable: /proc only
  }
  return { rssMiB: mib(rssBytes(server.pid)), metricsRssMiB: mib(metricsRss), heapUsedMiB: mib(heap) };
}

interface WsReport {
  sockets: number;
  opened: number;
  connectErrors: number;
  connectSeconds: number | null;
  sendRate: number;
  answers: number;
  errorFrames: number;
  timeouts: number;
  /** Sockets the server closed while the test still needed them. */
  unexpectedCloses: number;
  answerLatencyMs: Latency;
  memory: { before: Memory; afterOpen: Memory; afterAnswers: Memory; afterClose: Memory };
  /** (RSS after − RSS before) ÷ open sockets, KiB. */
  perSocketKiB: { idle: number | null; afterAnswer: number | null };
  serverOpenFilesLimit: string | null;
  cpu: CpuUse;
  serverErrors: ServerErrors;
  code: string;
}

async function wsPhase(port: number): Promise<WsReport> {
  const dir = mkdtempSync(join(tmpdir(), "fuer-load-ws-"));
  const logFile = join(logDir, "ws.log");
  const code = codeState();
  log(`ws: starting an instance on :${port} (SQLite, log ${logFile})`);
  const server = await startServer({
    port,
    databaseUrl: `file:${join(dir, "load.db")}`,
    readyPath: "/readyz",
    logFile,
  });
  const sockets: WebSocket[] = [];
  try {
    let limit: string | null = null;
    try {
      limit =
        /^Max open files\s+(\S+)\s+(\S+)/m
          .exec(readFileSync(`/proc/${server.pid}/limits`, "utf8"))
          ?.slice(1, 3)
          .join("/") ?? null;
    } catch {
      // not Linux
    }
    const mix = createMix();
    // Warm the chat path (JIT, caches) so the memory delta is the sockets', not the first requests'.
    await autocannonRun(server, "chat", Math.max(1, opt.warmupSeconds), opt.maxConnections, mix);
    await sleep(1000);
    await waitIdle(server.pid, 60_000);
    const before = await memoryOf(server);
    const meter = cpuMeter([server.pid]);

    let connectErrors = 0;
    let unexpectedCloses = 0;
    let closing = false;
    const pending = new Map<string, (frame: { type: string }) => void>();
    const wsUrl = `${server.base.replace(/^http/, "ws")}/ws/chat`;
    const open = () =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(wsUrl);
        let index = -1;
        ws.once("open", () => {
          index = sockets.push(ws) - 1;
          resolve();
        });
        ws.once("error", () => {
          connectErrors++;
          resolve();
        });
        ws.on("message", (data) => {
          const frame = JSON.parse(String(data)) as { type: string; clientMessageId?: string | null };
          const key = frame.type === "reply" ? frame.clientMessageId : `socket:${index}`;
          const handler = key ? pending.get(key) : undefined;
          if (handler) handler(frame);
        });
        ws.on("close", () => {
          if (!closing) unexpectedCloses++;
        });
      });
    log(`ws: opening ${opt.wsSockets} sockets in batches of ${opt.wsBatch}`);
    const t0 = performance.now();
    for (let i = 0; i < opt.wsSockets; i += opt.wsBatch) {
      await Promise.all(Array.from({ length: Math.min(opt.wsBatch, opt.wsSockets - i) }, open));
    }
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(2000);
    const afterOpen = await memoryOf(server);
    log(
      `ws: ${sockets.length} open (${connectErrors} failed) in ${connectSeconds.toFixed(1)}s; sending one question each`,
    );

    const latencies: number[] = [];
    let answers = 0;
    let errorFrames = 0;
    let timeouts = 0;
    const ask = (ws: WebSocket, i: number) =>
      new Promise<void>((resolve) => {
        const id = randomUUID();
        const socketKey = `socket:${i}`;
        const sent = performance.now();
        const done = () => {
          clearTimeout(timer);
          pending.delete(id);
          pending.delete(socketKey);
          resolve();
        };
        const timer = setTimeout(() => {
          timeouts++;
          done();
        }, opt.wsTimeoutMs);
        pending.set(id, () => {
          latencies.push(performance.now() - sent);
          answers++;
          done();
        });
        // Error frames carry no clientMessageId: they are matched by socket.
        pending.set(socketKey, (frame) => {
          if (frame.type !== "error") return;
          errorFrames++;
          done();
        });
        ws.send(JSON.stringify({ type: "message", text: mix.next().text, clientMessageId: id }));
      });
    const asks: Promise<void>[] = [];
    const s0 = performance.now();
    for (let i = 0; i < sockets.length; i++) {
      if (opt.wsSendRate > 0) {
        const due = s0 + (i * 1000) / opt.wsSendRate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
      }
      asks.push(ask(sockets[i] as WebSocket, i));
    }
    await Promise.all(asks);
    await sleep(2000);
    const afterAnswers = await memoryOf(server);
    const cpu = meter();
    closing = true;
    for (const ws of sockets) ws.close();
    await sleep(3000);
    const afterClose = await memoryOf(server);
    const perSocket = (m: Memory) =>
      m.rssMiB !== null && before.rssMiB !== null && sockets.length > 0
        ? round(((m.rssMiB - before.rssMiB) * 1024) / sockets.length, 1)
        : null;
    return {
      sockets: opt.wsSockets,
      opened: sockets.length,
      connectErrors,
      connectSeconds: round(connectSeconds),
      sendRate: opt.wsSendRate,
      answers,
      errorFrames,
      timeouts,
      unexpectedCloses,
      answerLatencyMs: latencyOf(latencies),
      memory: { before, afterOpen, afterAnswers, afterClose },
      perSocketKiB: { idle: perSocket(afterOpen), afterAnswer: perSocket(afterAnswers) },
      serverOpenFilesLimit: limit,
      cpu,
      serverErrors: serverErrors(logFile),
      code,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- 3. report → staff console across instances ----------
interface EscalationReport {
  instances: number;
  reports: number;
  measured: number;
  notUrgent: number;
  httpErrors: number;
  /** Per console that never heard of a report within 10 s. */
  missedCross: number;
  missedSame: number;
  reportsPerSecond: number | null;
  /** The console on the *other* instance. */
  crossAckToEventMs: Latency;
  crossSendToEventMs: Latency;
  /** The console on the instance that took the report (comparison). */
  sameAckToEventMs: Latency;
  sameSendToEventMs: Latency;
  serverErrors: ServerErrors;
  code: string;
}

async function escalationPhase(portA: number, portB: number): Promise<EscalationReport> {
  const databaseUrl = await recreateDb();
  const env = { ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password };
  log(`escalation: two instances on :${portA} and :${portB}, one PostgreSQL database`);
  // One after the other: both would race to create the first admin on an empty database.
  const logs = [join(logDir, "escalation-a.log"), join(logDir, "escalation-b.log")] as const;
  const code = codeState();
  const a = await startServer({ port: portA, databaseUrl, env, readyPath: "/readyz", logFile: logs[0] });
  let b: ServerProcess | undefined;
  const consoles: WebSocket[] = [];
  try {
    b = await startServer({ port: portB, databaseUrl, env, readyPath: "/readyz", logFile: logs[1] });
    const instances = [a, b];
    const MISS_AFTER_MS = 10_000;
    // Per console: caseId → arrival, and who waits for one not yet arrived.
    const seen = instances.map(() => new Map<string, number>());
    const waiting = instances.map(() => new Map<string, (at: number) => void>());
    for (const [k, inst] of instances.entries()) {
      const { cookie } = await loginStaff(inst.base, ADMIN);
      consoles.push(
        await openStaffConsole(inst.base, cookie, (caseId, at) => {
          const resolve = waiting[k]?.get(caseId);
          if (resolve) resolve(at);
          else seen[k]?.set(caseId, at);
        }),
      );
    }
    const arrival = (k: number, caseId: string) => {
      const early = seen[k]?.get(caseId);
      if (early !== undefined) return Promise.resolve<number | null>(early);
      return new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          waiting[k]?.delete(caseId);
          resolve(null);
        }, MISS_AFTER_MS);
        waiting[k]?.set(caseId, (at) => {
          clearTimeout(timer);
          waiting[k]?.delete(caseId);
          resolve(at);
        });
      });
    };

    const texts = urgentTexts();
    const cross = { ack: [] as number[], send: [] as number[], missed: 0 };
    const same = { ack: [] as number[], send: [] as number[], missed: 0 };
    let notUrgent = 0;
    let httpErrors = 0;
    let measured = 0;
    const one = async (i: number, record: boolean) => {
      const target = i % 2;
      const other = 1 - target;
      const inst = instances[target] as ServerProcess;
      const sent = performance.now();
      let caseId: string;
      let acked: number;
      try {
        const res = await fetch(`${inst.base}/api/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: chatBody(texts[i % texts.length] as string),
        });
        acked = performance.now();
        const body = (await res.json()) as { escalation?: { caseId: string } | null };
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        if (!body.escalation) {
          if (record) notUrgent++;
          return;
        }
        caseId = body.escalation.caseId;
      } catch {
        if (record) httpErrors++;
        return;
      }
      const [atOther, atSame] = await Promise.all([arrival(other, caseId), arrival(target, caseId)]);
      seen[0]?.delete(caseId);
      seen[1]?.delete(caseId);
      if (!record) return;
      measured++;
      for (const [at, into] of [
        [atOther, cross],
        [atSame, same],
      ] as const) {
        if (at === null) into.missed++;
        else {
          into.ack.push(at - acked);
          into.send.push(at - sent);
        }
      }
    };
    // Warm-up on both instances, not measured.
    for (let i = 0; i < 10; i++) await one(i, false);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: opt.escConcurrency }, async () => {
        for (let i = next++; i < opt.escReports; i = next++) await one(i, true);
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return {
      instances: 2,
      reports: opt.escReports,
      measured,
      notUrgent,
      httpErrors,
      missedCross: cross.missed,
      missedSame: same.missed,
      reportsPerSecond: round(opt.escReports / elapsed),
      crossAckToEventMs: latencyOf(cross.ack),
      crossSendToEventMs: latencyOf(cross.send),
      sameAckToEventMs: latencyOf(same.ack),
      sameSendToEventMs: latencyOf(same.send),
      serverErrors: serverErrors(...logs),
      code,
    };
  } finally {
    for (const ws of consoles) ws.terminate();
    await Promise.all([a.stop(), b?.stop()]);
  }
}

// ---------- summary ----------
function table(rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? "—" : String(c))));
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? "")].length))) ?? [];
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}

function errorLine(e: ServerErrors): string {
  const top = Object.entries(e.messages)
    .filter(([m]) => !m.startsWith("stderr: "))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([m, n]) => `"${m}" ×${n}`)
    .join(", ");
  return `server error log lines: ${e.count}${top ? ` (${top})` : ""}; other stderr lines: ${e.otherLines}`;
}

function summary(out: {
  http: DbReport[];
  ws: WsReport | null;
  escalation: EscalationReport | null;
  machine: Record<string, unknown>;
}): string {
  const lines: string[] = [];
  lines.push(
    `load test — loopback, ${out.machine.cpus} cores shared by server, client and database; load average at start ${out.machine.loadavgStart}, end ${out.machine.loadavgEnd}`,
  );
  if (out.http.length) {
    const rows: (string | number | null)[][] = [
      ["db", "run", "target/s", "ok/s", "p50", "p90", "p99", "max", "errors", "non2xx", "cpu srv/cli/other", "verdict"],
    ];
    const row = (db: string, name: string, r: RunResult) => [
      db,
      name,
      r.targetRate ?? "max",
      r.achievedRps,
      r.latencyMs.p50,
      r.latencyMs.p90,
      r.latencyMs.p99,
      r.latencyMs.max,
      r.errors,
      r.non2xx,
      `${r.cpu.server}/${r.cpu.client}/${r.cpu.other}`,
      r.pass === undefined ? "" : r.pass ? "PASS" : "FAIL",
    ];
    for (const d of out.http) {
      rows.push(row(d.database, `chat fixed ${d.fixed.seconds}s`, d.fixed));
      for (const s of d.search) rows.push(row(d.database, `chat step ${s.seconds}s`, s));
      rows.push(row(d.database, `chat max c=${d.chatMax.connections}`, d.chatMax));
      rows.push(row(d.database, `info max c=${d.infoMax.connections}`, d.infoMax));
    }
    lines.push("", `HTTP (latency ms; PASS: p99 < ${opt.p99Ms} ms, 0 errors, 0 non-2xx, ≥ 95% of the rate achieved)`);
    lines.push(table(rows));
    lines.push("");
    for (const d of out.http) {
      lines.push(
        `${d.database}: ${opt.rate} req/s for ${d.fixed.seconds}s ${d.fixed.pass ? "PASS" : "FAIL"}; highest sustainable (${opt.stepSeconds}s steps) ${d.sustainableRps === null ? "not searched" : d.sustainableRps === 0 ? "none" : `${d.sustainableRps} req/s`}${d.firstFailingRps !== null ? ` (fails at ${d.firstFailingRps})` : ""}; unconstrained chat ${d.chatMax.achievedRps} req/s vs /api/info ${d.infoMax.achievedRps} req/s, ratio ${d.ratioChatToInfo}`,
        `  ${errorLine(d.serverErrors)}`,
      );
    }
  }
  if (out.ws) {
    const w = out.ws;
    lines.push(
      "",
      `WebSocket /ws/chat: ${w.opened}/${w.sockets} open (${w.connectErrors} connect errors, ${w.connectSeconds}s), ${w.answers} answers, ${w.errorFrames} error frames, ${w.timeouts} timeouts, ${w.unexpectedCloses} unexpected closes; one question each at ${w.sendRate || "all-at-once"}/s: p50 ${w.answerLatencyMs.p50} p99 ${w.answerLatencyMs.p99} max ${w.answerLatencyMs.max} ms`,
      `  server RSS MiB: before ${w.memory.before.rssMiB}, sockets open ${w.memory.afterOpen.rssMiB}, after answers ${w.memory.afterAnswers.rssMiB}, after close ${w.memory.afterClose.rssMiB} (heap used ${w.memory.before.heapUsedMiB} → ${w.memory.afterAnswers.heapUsedMiB}); per socket ${w.perSocketKiB.idle} KiB idle, ${w.perSocketKiB.afterAnswer} KiB after one answer; server open-files limit ${w.serverOpenFilesLimit}`,
      `  ${errorLine(w.serverErrors)}`,
    );
  }
  if (out.escalation) {
    const e = out.escalation;
    const f = (l: Latency) => `p50 ${l.p50} p99 ${l.p99} max ${l.max} ms`;
    lines.push(
      "",
      `report → staff console, 2 instances on one PostgreSQL db, reports alternately to each, ${opt.escConcurrency} concurrent: ${e.measured}/${e.reports} measured, ${e.missedCross} missed on the other instance, ${e.missedSame} on the same, ${e.notUrgent} not urgent, ${e.httpErrors} HTTP errors (${e.reportsPerSecond} reports/s)`,
      `  other instance: ack → event ${f(e.crossAckToEventMs)}; send → event ${f(e.crossSendToEventMs)}`,
      `  same instance:  ack → event ${f(e.sameAckToEventMs)}; send → event ${f(e.sameSendToEventMs)}`,
      `  ${errorLine(e.serverErrors)}`,
    );
  }
  const codes = [...out.http.map((d) => d.code), out.ws?.code, out.escalation?.code].filter(
    (c): c is string => c !== undefined,
  );
  const distinct = [...new Set(codes)];
  lines.push(
    "",
    distinct.length > 1
      ? `WARNING: src/ or knowledge/ changed during the run; phases ran different code: ${codes.join(", ")}`
      : `code: ${distinct[0] ?? "unknown"} (HEAD[+hash of uncommitted src/ and knowledge/])`,
  );
  return lines.join("\n");
}

// ---------- main ----------
async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine: Record<string, unknown> = {
    cpus: cpus().length,
    node: process.version,
    loadavgStart: loadavg()
      .map((v) => v.toFixed(2))
      .join(" "),
  };
  const http: DbReport[] = [];
  let ws: WsReport | null = null;
  let escalation: EscalationReport | null = null;
  const p = opt.port;
  if (!opt.skipSqlite) http.push(await httpPhase("sqlite", p));
  if (!opt.skipPg) http.push(await httpPhase("postgresql", p + 1));
  if (!opt.skipWs && opt.wsSockets > 0) ws = await wsPhase(p + 2);
  if (!opt.skipPg && !opt.skipEscalation && opt.escReports > 0) escalation = await escalationPhase(p + 3, p + 4);
  if (!opt.skipPg && !opt.keepDb) await pgAdmin(`DROP DATABASE IF EXISTS "${opt.pgDb}" WITH (FORCE)`);
  machine.loadavgEnd = loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
  const out = { startedAt, finishedAt: new Date().toISOString(), machine, options: opt, http, ws, escalation };
  process.stdout.write(`\n${summary(out)}\nserver logs: ${logDir}\n`);
  if (opt.out) {
    writeFileSync(opt.out, `${JSON.stringify(out, null, 2)}\n`);
    log(`JSON written to ${opt.out}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`load test failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
