/**
 * The real server in its own process, for the benchmarks and the load test:
 * `node --import tsx src/server.ts` on 127.0.0.1 with the given database and
 * port, the resident rate limit raised out of the way, then polled until
 * /healthz (or /readyz) answers 200. A child that exits before it is healthy
 * fails the start at once with its exit code instead of waiting out the deadline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface ServerOptions {
  port: number;
  /** `file:…` (SQLite) or `postgres://…`. */
  databaseUrl: string;
  /** Extra environment for the server (ADMIN_USERNAME, RATE_LIMIT_PER_MINUTE, …); wins over the defaults. */
  env?: Record<string, string>;
  /** Default `warn`. */
  logLevel?: string;
  /** The server's stdout: `inherit` (default) or `ignore`; stderr is inherited. Ignored with `logFile`. */
  stdout?: "inherit" | "ignore";
  /** Append the server's stdout and stderr to this file instead. */
  logFile?: string;
  /** Polled until 200: `/healthz` (default) or `/readyz` (database and knowledge index ready). */
  readyPath?: "/healthz" | "/readyz";
  /** Default 60 s. */
  timeoutMs?: number;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** SIGTERM (graceful shutdown), SIGKILL if it has not exited after `graceMs` (default 10 s). */
  stop(graceMs?: number): Promise<void>;
}

/** The server's environment: the caller's, plus loopback, the port, the database, quiet logs and no resident rate limit in the way. */
export function serverEnv(opts: ServerOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(opts.port),
    HOST: "127.0.0.1",
    DATABASE_URL: opts.databaseUrl,
    LOG_LEVEL: opts.logLevel ?? "warn",
    RATE_LIMIT_PER_MINUTE: "100000",
    ...opts.env,
  };
}

/**
 * The Node.js flags `npm start` runs the server with (package.json; a unit test
 * keeps the two the same): a 64 MB young generation, so that the chat route's
 * short-lived objects die in fewer, cheaper scavenges — at 500 req/s on SQLite
 * p99 went from 63 to 27 ms with it (`npm run load`, 30 s).
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=64"] as const;

/**
 * Extra Node.js flags for every server the scripts start, from SERVER_NODE_ARGS
 * (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the
 * server under load; Node refuses --cpu-prof in NODE_OPTIONS.
 */
function serverNodeArgs(): string[] {
  return (process.env.SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
}

/** Spawns the server and returns at once (no health wait). */
export function spawnServer(opts: ServerOptions): ChildProcess {
  const fd = opts.logFile ? openSync(opts.logFile, "a") : undefined;
  try {
    return spawn(process.execPath, [...SERVER_NODE_FLAGS, ...serverNodeArgs(), "--import", "tsx", "src/server.ts"], {
      env: serverEnv(opts),
      stdio: fd === undefined ? ["ignore", opts.stdout ?? "inherit", "inherit"] : ["ignore", fd, fd],
    });
  } finally {
    if (fd !== undefined) closeSync(fd); // the child holds its own copy
  }
}

/** Polls `base + path` until it answers 200; rejects after `deadlineMs` or as soon as `exited()` says the process is gone. */
export async function waitForHealth(
  base: string,
  deadlineMs = 60_000,
  path = "/healthz",
  exited: () => string | null = () => null,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const gone = exited();
    if (gone) throw new Error(`server exited before it was healthy (${gone})`);
    try {
      const res = await fetch(`${base}${path}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server at ${base} did not answer ${path} within ${deadlineMs} ms`);
}

/** Spawns the server and waits until it is healthy; kills it if it never gets there. */
export async function startServer(opts: ServerOptions): Promise<ServerProcess> {
  const child = spawnServer(opts);
  let exit: string | null = null;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  const base = `http://127.0.0.1:${opts.port}`;
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (exit !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exitedPromise;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(base, opts.timeoutMs ?? 60_000, opts.readyPath ?? "/healthz", () => exit);
  } catch (err) {
    await stop(2_000);
    throw err;
  }
  if (child.pid === undefined) throw new Error("server has no pid");
  return { child, pid: child.pid, port: opts.port, base, stop };
}

/** Resident set size of a process in bytes, from /proc (Linux); NaN where there is no /proc. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; assumes 100 ticks/s); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), counted from field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the process is idle (under 10% of a core over half a second),
 * e.g. still finishing requests its clients gave up on; at most `maxMs`.
 * Returns the seconds waited, or null if it never went idle.
 */
export async function waitIdle(pid: number, maxMs = 60_000): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const before = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 500));
    const used = cpuSeconds(pid) - before;
    if (!(used >= 0.05)) return (performance.now() - t0) / 1000;
  }
  return null;
}
