/**
 * npm run kill-test — 3 instances of the real server on one PostgreSQL
 * database (ports 4101–4103), 1,000 urgent reports sent concurrently over
 * HTTP and WebSocket with client retries (same clientMessageId, next
 * instance), an instance killed with SIGKILL every ~2 s and restarted (≥ 20
 * kills), staff consoles on every instance (reconnect + resume), and claims
 * of the same case raced from two instances. Then a checker compares the
 * client's log with the database:
 *   - every acknowledged report is in the database exactly once (one
 *     resident message, one case, the acknowledged case id);
 *   - no case was claimed twice (one `claimed` event, one 200 per race);
 *   - every case event reached every console (live or by resume).
 * Loopback only, bounded. Env: KILL_PG (server URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), KILL_REPORTS (1000), KILL_KILLS (20).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { WebSocket } from "ws";
import { SERVER_NODE_FLAGS } from "./lib/server-process.ts";

const PG = process.env.KILL_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REPORTS = Number(process.env.KILL_REPORTS ?? 1000);
const KILLS = Number(process.env.KILL_KILLS ?? 20);
const CONCURRENCY = 64;
const PORTS = [4101, 4102, 4103];
const DB_NAME = "fuer_kill_test";
const ADMIN = { username: "killadmin", password: "Kill-test-Orchid-lantern-2026" };
const TEXTS = [
  "他昨天又打我了 我好怕",
  "我老公天天打我，我不敢回家",
  "邻居家的孩子经常被打得浑身是伤",
  "我女儿不见了，找了一晚上",
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const url = (db: string) => {
  const u = new URL(PG);
  u.pathname = `/${db}`;
  return u.toString();
};

async function sql(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query(q);
  await c.end();
}

// ---------- instances ----------
const procs: (ChildProcess | null)[] = PORTS.map(() => null);
const up: boolean[] = PORTS.map(() => false);

function start(i: number): void {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, "--import", "tsx", "src/server.ts"], {
    env: {
      ...process.env,
      PORT: String(PORTS[i]),
      HOST: "127.0.0.1",
      DATABASE_URL: url(DB_NAME),
      LOG_LEVEL: "error",
      RATE_LIMIT_PER_MINUTE: "100000",
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  procs[i] = child;
  child.on("exit", () => {
    if (procs[i] === child) {
      procs[i] = null;
      up[i] = false;
    }
  });
}

async function waitReady(i: number, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORTS[i]}/readyz`)).ok) {
        up[i] = true;
        return;
      }
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`instance ${i} not ready`);
}

// ---------- staff ----------
type Session = { cookie: string; csrf: string };
async function login(i: number, username: string, password: string): Promise<Session> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORTS[i]}/api/staff/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password }),
      });
      if (!res.ok) throw new Error(`login ${res.status}`);
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
    } catch (err) {
      if (attempt > 50) throw err;
      await sleep(200);
    }
  }
}

class Console {
  seqs = new Set<number>();
  last = 0;
  reconnects = 0;
  private ws: WebSocket | null = null;
  private stopped = false;
  constructor(
    private i: number,
    private session: Session,
  ) {}
  connect(): void {
    if (this.stopped) return;
    const base = `127.0.0.1:${PORTS[this.i]}`;
    const ws = new WebSocket(`ws://${base}/ws/staff`, {
      headers: { cookie: this.session.cookie, origin: `http://${base}` },
    });
    this.ws = ws;
    ws.on("open", () => ws.send(JSON.stringify({ type: "resume", after: this.last })));
    ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as { type: string; seq?: number };
      if (f.type === "case_event" && typeof f.seq === "number") {
        this.seqs.add(f.seq);
        this.last = Math.max(this.last, f.seq);
      }
    });
    const again = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.reconnects++;
      setTimeout(() => this.connect(), 300);
    };
    ws.on("close", again);
    ws.on("error", again);
  }
  /** Resume from 0 once more: what the console holds after a full backfill. */
  async backfill(): Promise<void> {
    this.stopped = true;
    this.ws?.terminate();
    const base = `127.0.0.1:${PORTS[this.i]}`;
    const ws = new WebSocket(`ws://${base}/ws/staff`, {
      headers: { cookie: this.session.cookie, origin: `http://${base}` },
    });
    await new Promise<void>((resolve, reject) => {
      ws.on("open", () => ws.send(JSON.stringify({ type: "resume", after: this.last })));
      ws.on("message", (data) => {
        const f = JSON.parse(String(data)) as { type: string; seq?: number };
        if (f.type === "case_event" && typeof f.seq === "number") this.seqs.add(f.seq);
        if (f.type === "resumed") resolve();
      });
      ws.on("error", reject);
    });
    ws.terminate();
  }
}

// ---------- residents ----------
type Ack = { clientMessageId: string; caseId: string; conversationId: string; via: "http" | "ws"; attempts: number };

async function sendHttp(i: number, text: string, clientMessageId: string) {
  const res = await fetch(`http://127.0.0.1:${PORTS[i]}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text, clientMessageId }),
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as { conversationId: string; escalation: { caseId: string } | null };
}

function sendWs(i: number, text: string, clientMessageId: string) {
  return new Promise<{ conversationId: string; escalation: { caseId: string } | null }>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${PORTS[i]}/ws/chat`);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("ws timeout"));
    }, 15_000);
    ws.on("open", () => ws.send(JSON.stringify({ type: "message", text, clientMessageId })));
    ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as { type: string; clientMessageId?: string };
      if (f.type === "reply" && f.clientMessageId === clientMessageId) {
        clearTimeout(timer);
        ws.close();
        resolve(f as never);
      } else if (f.type === "error") {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error("ws error frame"));
      }
    });
    ws.on("close", () => {
      clearTimeout(timer);
      reject(new Error("ws closed"));
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function report(n: number, acks: Ack[], failures: string[]): Promise<void> {
  const clientMessageId = randomBytes(16).toString("base64url");
  const text = TEXTS[n % TEXTS.length] as string;
  const via = n % 2 ? "ws" : "http";
  for (let attempt = 1; attempt <= 40; attempt++) {
    const i = (n + attempt) % PORTS.length;
    try {
      const r = via === "http" ? await sendHttp(i, text, clientMessageId) : await sendWs(i, text, clientMessageId);
      if (!r.escalation) throw new Error("not escalated");
      acks.push({
        clientMessageId,
        caseId: r.escalation.caseId,
        conversationId: r.conversationId,
        via,
        attempts: attempt,
      });
      return;
    } catch {
      await sleep(100 + Math.random() * 200 * Math.min(attempt, 5));
    }
  }
  failures.push(clientMessageId);
}

async function main(): Promise<void> {
  await sql(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await sql(`CREATE DATABASE "${DB_NAME}"`);
  start(0);
  await waitReady(0);
  start(1);
  start(2);
  await Promise.all([waitReady(1), waitReady(2)]);

  // A second account to race claims with: created by the admin over the API.
  const adminSession = await login(0, ADMIN.username, ADMIN.password);
  const racer = { username: "killracer", password: "Kill-racer-Willow-harbor-2026" };
  const created = await fetch(`http://127.0.0.1:${PORTS[0]}/api/staff/users`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: adminSession.cookie, "x-csrf-token": adminSession.csrf },
    body: JSON.stringify({ ...racer, displayName: "竞争者", role: "supervisor", queues: [] }),
  });
  if (!created.ok)
    throw new Error(`could not create the racing staff account: ${created.status} ${await created.text()}`);

  const consoles = await Promise.all(
    PORTS.map(async (_p, i) => new Console(i, await login(i, ADMIN.username, ADMIN.password))),
  );
  for (const c of consoles) c.connect();
  await sleep(500);

  const acks: Ack[] = [];
  const failures: string[] = [];
  const races: { caseId: string; statuses: number[] }[] = [];
  let done = false;

  // Killer: SIGKILL a random instance while at least one other is up; restart it shortly after.
  let kills = 0;
  const killer = (async () => {
    while (!done || kills < KILLS) {
      await sleep(1500 + Math.random() * 1000);
      const live = PORTS.map((_p, i) => i).filter((i) => up[i] && procs[i]);
      if (live.length < 2) continue;
      const victim = live[Math.floor(Math.random() * live.length)] as number;
      procs[victim]?.kill("SIGKILL");
      up[victim] = false;
      kills++;
      await sleep(300 + Math.random() * 700);
      start(victim);
      waitReady(victim).catch(() => {});
    }
  })();

  // Claim racer: the admin on one instance and the racer on another claim the same new case.
  // Sessions live in the database: one sign-in serves every instance.
  const racerSession = await login(1, racer.username, racer.password);
  const claimRaces = (async () => {
    let seen = 0;
    while (!done) {
      await sleep(400);
      const fresh = acks.slice(seen, seen + 3);
      seen += fresh.length;
      for (const ack of fresh) {
        const [i, j] = [0, 1, 2].filter((k) => up[k]).sort(() => Math.random() - 0.5);
        if (i === undefined || j === undefined) continue;
        try {
          const [si, sj] = [adminSession, racerSession];
          const claim = (k: number, s: Session) =>
            fetch(`http://127.0.0.1:${PORTS[k]}/api/staff/cases/${ack.caseId}/claim`, {
              method: "POST",
              headers: { "content-type": "application/json", cookie: s.cookie, "x-csrf-token": s.csrf },
              body: "{}",
            })
              .then((r) => r.status)
              .catch(() => 0);
          races.push({ caseId: ack.caseId, statuses: await Promise.all([claim(i, si), claim(j, sj)]) });
        } catch {
          // an instance died mid-race: the database check below still covers the case
        }
      }
    }
  })();

  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REPORTS) await report(next++, acks, failures);
    }),
  );
  done = true;
  await Promise.all([killer, claimRaces]);
  const seconds = (Date.now() - t0) / 1000;
  for (let i = 0; i < PORTS.length; i++) if (!procs[i]) start(i);
  await Promise.all(PORTS.map((_p, i) => waitReady(i)));
  await sleep(2000);
  for (const c of consoles) await c.backfill();

  // ---------- checker ----------
  const db = new pg.Client({ connectionString: url(DB_NAME) });
  await db.connect();
  let present = 0;
  const problems: string[] = [];
  for (const ack of acks) {
    const m = await db.query(
      `SELECT "conversationId" FROM "Message" WHERE "clientMessageId" = $1 AND role = 'resident'`,
      [ack.clientMessageId],
    );
    const cases = await db.query(`SELECT id FROM "Case" WHERE "conversationId" = $1`, [ack.conversationId]);
    if (m.rowCount === 1 && cases.rowCount === 1 && cases.rows[0].id === ack.caseId) present++;
    else problems.push(`${ack.clientMessageId}: ${m.rowCount} messages, ${cases.rowCount} cases`);
  }
  const totalCases = Number((await db.query(`SELECT count(*) FROM "Case"`)).rows[0].count);
  const dupClaims = Number(
    (
      await db.query(
        `SELECT count(*) FROM (SELECT "caseId" FROM "CaseEvent" WHERE type = 'claimed' GROUP BY "caseId" HAVING count(*) > 1) d`,
      )
    ).rows[0].count,
  );
  const racesTwoWins = races.filter((r) => r.statuses.filter((s) => s === 200).length > 1).length;
  const events = (await db.query(`SELECT id FROM "CaseEvent" WHERE type NOT IN ('viewed', 'anonymised')`)).rows.map(
    (r) => Number(r.id),
  );
  const missing = consoles.map((c) => events.filter((id) => !c.seqs.has(id)).length);
  await db.end();

  const out = {
    reports: REPORTS,
    acknowledged: acks.length,
    gaveUp: failures.length,
    acknowledgedPresentExactlyOnce: present,
    problems: problems.slice(0, 10),
    casesInDatabase: totalCases,
    retriedReports: acks.filter((a) => a.attempts > 1).length,
    maxAttempts: Math.max(0, ...acks.map((a) => a.attempts)),
    kills,
    claimRaces: races.length,
    claimRacesWithTwoWinners: racesTwoWins,
    casesWithTwoClaimEvents: dupClaims,
    caseEvents: events.length,
    eventsMissingPerConsole: missing,
    consoleReconnects: consoles.map((c) => c.reconnects),
    seconds,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  for (const p of procs) p?.kill("SIGTERM");
  await sleep(500);
  const ok =
    present === acks.length &&
    failures.length === 0 &&
    racesTwoWins === 0 &&
    dupClaims === 0 &&
    missing.every((m) => m === 0) &&
    kills >= KILLS;
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`kill test failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  for (const p of procs) p?.kill("SIGKILL");
  process.exit(1);
});
