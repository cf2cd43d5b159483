/**
 * `npm run bot -- --demo`: a short conversation with the bot on
 * wechaty-puppet-mock, answered by the real core (triage, plans, directory)
 * on a throwaway SQLite database. Prints to the terminal; logs are silenced.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWechatStore } from "../../src/channels/wechat/wechat-store.ts";
import { applyMigrations } from "../../src/db/migrate.ts";
import { createPrismaClient } from "../../src/db/prisma-client.ts";
import { loadKnowledge } from "../../src/knowledge/load-knowledge.ts";
import { createLogger } from "../../src/shared/logger.ts";
import { chatServiceFor } from "./dev/harness.ts";
import { createMockWorld, waitUntil } from "./dev/mock-world.ts";
import { createInProcessCore } from "./in-process-core.ts";
import { startWechatBot } from "./run.ts";

const MOCK_PUPPET = "wechaty-puppet-mock";

export async function runDemo(out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const puppetName = process.env.WECHATY_PUPPET;
  if (puppetName && puppetName !== MOCK_PUPPET) {
    throw new Error(`the demo runs on ${MOCK_PUPPET} only; unset WECHATY_PUPPET or set it to ${MOCK_PUPPET}`);
  }
  const print = (line: string) => out.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), "fuer-bot-demo-"));
  const url = `file:${join(dir, "demo.db")}`;
  print("准备演示数据库和知识库……");
  await applyMigrations(url);
  const knowledge = loadKnowledge({});
  const db = createPrismaClient(url);
  const chat = chatServiceFor(db, knowledge);
  const world = createMockWorld();
  const started = new Promise<void>((resolve) => world.wechaty.once("start", () => resolve()));
  const running = startWechatBot({
    wechaty: world.wechaty,
    core: createInProcessCore(createWechatStore({ db, chat })),
    idSecret: randomBytes(32).toString("base64url"),
    logger: createLogger("silent"),
    outbound: { pollMs: 200 },
  });
  try {
    await started;
    await world.login();
    print(`\n=== 演示：居民在微信里和「${world.botName}」对话（wechaty-puppet-mock）===\n`);
    const resident = world.resident("小林");

    const expectReply = async (count: number) => {
      const before = resident.inbox.length;
      await waitUntil(() => resident.inbox.length >= before + count, 20_000, "the bot's reply");
      for (const text of resident.inbox.slice(before)) print(`助手：${text.replace(/\n/g, "\n      ")}\n`);
    };

    print("（小林 申请添加好友）\n");
    await resident.requestFriendship("你好");
    await expectReply(1);

    for (const text of ["孕产妇死亡率的目标是多少", "妇女维权热线是多少", "我老公正在打我，他拿着刀，快来人"]) {
      print(`小林：${text}\n`);
      resident.say(text);
      await expectReply(1);
    }

    const cases = await db.case.findMany({ select: { category: true, severity: true, queue: true } });
    for (const c of cases)
      print(`（已建立个案：${c.category} / ${c.severity}，转入队列 ${c.queue}，等待工作人员跟进）`);
    print("\n=== 演示结束 ===");
  } finally {
    await running.stop();
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
