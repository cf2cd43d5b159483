/**
 * Creates a staff account for the console.
 *
 *   npm run staff:create -- --username li --name 李老师 --role staff --queues domestic_violence,child_harm
 *
 * The password is asked for on the terminal (typed twice, not echoed), or read
 * from STAFF_PASSWORD when set (for provisioning scripts; prefer the prompt —
 * environment variables can end up in shell history and process listings).
 * Uses DATABASE_URL like the app and applies pending migrations first.
 *
 * Roles: staff (sees only its --queues), supervisor and admin (see every queue).
 * Exit codes: 0 created, 1 refused (weak password, username taken…), 2 bad arguments.
 */

import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/config.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { createPrismaClient } from "../src/db/prisma-client.ts";
import { AppError } from "../src/shared/errors.ts";
import { loadCommonPasswords } from "../src/staff/common-passwords.ts";
import { isStaffRole, STAFF_ROLES } from "../src/staff/staff-schemas.ts";
import { createStaffService } from "../src/staff/staff-service.ts";

const USAGE = [
  "用法：npm run staff:create -- --username <用户名> --name <姓名> [--role staff|supervisor|admin] [--queues 队列1,队列2]",
  "  密码在终端输入（不回显），或通过环境变量 STAFF_PASSWORD 提供。",
  "  队列：domestic_violence, child_harm, sexual_violence, self_harm, trafficking_missing",
].join("\n");

export interface StaffCreateIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Reads a line without echo; null when there is no terminal to ask on. */
  readPassword(prompt: string): Promise<string | null>;
}

/** Reads one line from the TTY in raw mode so nothing typed is echoed. */
export function readHiddenLine(prompt: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(null);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new Error("已取消。"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") {
          value = [...value].slice(0, -1).join("");
          continue;
        }
        value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** Runs the command; returns the process exit code. */
export async function runStaffCreate(argv: readonly string[], io: StaffCreateIo): Promise<number> {
  let values: { username?: string; name?: string; role?: string; queues?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        username: { type: "string" },
        name: { type: "string" },
        role: { type: "string", default: "staff" },
        queues: { type: "string", default: "" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const { username, name } = values;
  const role = values.role ?? "staff";
  if (!username || !name) {
    io.err(`请提供 --username 和 --name。\n${USAGE}\n`);
    return 2;
  }
  if (!isStaffRole(role)) {
    io.err(`角色须为 ${STAFF_ROLES.join("、")} 之一。\n`);
    return 2;
  }
  const queues = (values.queues ?? "")
    .split(/[,，]/)
    .map((q) => q.trim())
    .filter((q) => q !== "");
  if (role === "staff" && queues.length === 0) {
    io.err("提示：没有指定 --queues，这个 staff 账号暂时看不到任何队列（可由管理员稍后分配）。\n");
  }

  let password = io.env.STAFF_PASSWORD;
  if (!password) {
    const first = await io.readPassword("密码（至少12个字符，输入时不显示）：");
    if (first === null) {
      io.err("没有可输入密码的终端：请在终端运行，或设置环境变量 STAFF_PASSWORD。\n");
      return 2;
    }
    const second = await io.readPassword("再输入一次：");
    if (first !== second) {
      io.err("两次输入的密码不一致，没有创建账号。\n");
      return 1;
    }
    password = first;
  }

  const config = loadConfig(io.env);
  await applyMigrations(config.DATABASE_URL);
  const db = createPrismaClient(config.DATABASE_URL);
  try {
    const service = createStaffService({ db, blocklist: loadCommonPasswords() });
    const user = await service.createUser({ username, displayName: name, password, role, queues });
    const scope = user.role === "staff" ? `队列：${user.queues.join(", ") || "（无）"}` : "可查看全部队列";
    io.out(`已创建工作人员账号 ${user.username}（${user.role}，${scope}）。\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      io.err(`没有创建账号：${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runStaffCreate(process.argv.slice(2), {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readPassword: readHiddenLine,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`staff:create 失败：${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
