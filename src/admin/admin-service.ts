/**
 * Administration over the database and the live knowledge: directory edits,
 * verification, CSV import/export, the knowledge-gap view, curated answers and
 * the 监测评估 statistics. Every change is written with its AdminAudit row in
 * one transaction, then the knowledge is rebuilt so it applies at once.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../db/prisma-client.ts";
import {
  diffDirectory,
  directoryToCsv,
  mergeDirectory,
  parseDirectoryCsvWithLines,
} from "../knowledge/directory-import-fns.ts";
import { DirectoryError, type DirectoryIssue } from "../knowledge/directory-schema.ts";
import type { ServiceEntry } from "../knowledge/knowledge-types.ts";
import { AppError } from "../shared/errors.ts";
import {
  applyPatch,
  applyVerification,
  type EntryPatch,
  localDate,
  type Staleness,
  staleness,
  withdrawVerification,
} from "./directory-admin-fns.ts";
import { clusterQuestions, type GapCluster, maskDigits } from "./gap-fns.ts";
import type { DirectoryEditRow, KnowledgeStore } from "./knowledge-store.ts";
import { computeStats, type Stats } from "./stats-fns.ts";

export interface Actor {
  id: string;
  username: string;
  displayName: string;
}

export const adminErrors = {
  entryNotFound: () => new AppError("ERR_NOT_FOUND", "没有找到这个目录条目。", 404),
  curatedNotFound: () => new AppError("ERR_NOT_FOUND", "没有找到这条答复。", 404),
  clauseNotFound: () => new AppError("ERR_VALIDATION", "输入有误：没有找到所选的规划条款。", 400),
  noTarget: () => new AppError("ERR_VALIDATION", "输入有误：请选择一条规划条款或一个服务目录条目。", 400),
  noQuestions: () => new AppError("ERR_VALIDATION", "输入有误：所选问题已处理或不存在。", 400),
};

/** The directory's data failed validation: every problem, by line/field, for the admin to fix. */
export class DirectoryInvalidError extends AppError {
  readonly issues: readonly DirectoryIssue[];
  constructor(issues: readonly DirectoryIssue[]) {
    super("ERR_DIRECTORY_INVALID", "目录数据有误，请按提示修改后再试。", 400);
    this.issues = issues;
  }
}

export type AdminEntry = ServiceEntry & { stale: Staleness; edited: boolean };

export interface ImportResult {
  dryRun: boolean;
  changes: Array<{ id: string; kind: "added" | "changed" | "removed"; fields: string[] }>;
}

export interface DownVoted {
  messageId: string;
  question: string | null;
  reply: string;
  at: Date;
}

export interface AdminServiceDeps {
  db: Db;
  store: KnowledgeStore;
  now?: () => Date;
}

/** How far back the gap view looks. */
const GAP_WINDOW_DAYS = 90;
const MAX_GAP_ROWS = 3000;

export function createAdminService(deps: AdminServiceDeps) {
  const { db, store } = deps;
  const now = deps.now ?? (() => new Date());

  function entry(id: string): ServiceEntry {
    const found = store.current().services.find((s) => s.id === id);
    if (!found) throw adminErrors.entryNotFound();
    return found;
  }

  /** Validates the directory with these entries saved, writes them and the audit row, and rebuilds. */
  async function saveEntries(
    changes: readonly { before: ServiceEntry | null; after: ServiceEntry }[],
    actor: Actor,
    action: string,
    target: string,
    summary?: unknown,
  ): Promise<void> {
    if (changes.length === 0) return;
    const at = now();
    const existing = await db.directoryEdit.findMany({ orderBy: [{ updatedAt: "asc" }, { id: "asc" }] });
    const byId = new Map<string, DirectoryEditRow>(existing.map((e) => [e.id, e]));
    for (const c of changes) byId.set(c.after.id, { id: c.after.id, data: JSON.stringify(c.after), deletedAt: null });
    try {
      store.directoryWith([...byId.values()]);
    } catch (err) {
      if (err instanceof DirectoryError) throw new DirectoryInvalidError(err.issues);
      throw err;
    }
    await db.$transaction([
      ...changes.map((c) =>
        db.directoryEdit.upsert({
          where: { id: c.after.id },
          create: { id: c.after.id, data: JSON.stringify(c.after), updatedAt: at, updatedBy: actor.username },
          update: { data: JSON.stringify(c.after), updatedAt: at, updatedBy: actor.username, deletedAt: null },
        }),
      ),
      db.adminAudit.create({
        data: {
          actor: actor.username,
          action,
          target,
          data: JSON.stringify(
            summary ?? (changes.length === 1 ? { before: changes[0]?.before, after: changes[0]?.after } : {}),
          ),
          createdAt: at,
        },
      }),
    ]);
    await store.rebuild();
  }

  return {
    listDirectory(filter: { area?: string | undefined; category?: string | undefined; q?: string | undefined }) {
      const build = store.current();
      const at = now();
      const q = filter.q?.trim().toLowerCase();
      return build.services
        .filter((s) =>
          filter.area === undefined ? true : filter.area === "" ? s.area === null : s.area === filter.area,
        )
        .filter((s) => !filter.category || s.category === filter.category)
        .filter(
          (s) =>
            !q ||
            s.id.includes(q) ||
            s.name.toLowerCase().includes(q) ||
            s.keywords.some((k) => k.toLowerCase().includes(q)),
        )
        .map((s): AdminEntry => ({ ...s, stale: staleness(s, at), edited: build.editedIds.has(s.id) }));
    },

    areas: () => store.base.areas.map((a) => a.name),

    async updateEntry(id: string, patch: EntryPatch, actor: Actor): Promise<AdminEntry> {
      const before = entry(id);
      const after = applyPatch(before, patch);
      await saveEntries([{ before, after }], actor, "directory.edit", id);
      const saved = entry(id);
      return { ...saved, stale: staleness(saved, now()), edited: true };
    },

    async verifyEntry(
      id: string,
      v: { verifiedBy?: string | undefined; verifiedAt?: string | undefined; source: string },
      actor: Actor,
    ): Promise<AdminEntry> {
      const before = entry(id);
      const after = applyVerification(before, {
        verifiedBy: v.verifiedBy?.trim() || actor.displayName,
        verifiedAt: v.verifiedAt ?? localDate(now()),
        source: v.source.trim(),
      });
      await saveEntries([{ before, after }], actor, "directory.verify", id);
      const saved = entry(id);
      return { ...saved, stale: staleness(saved, now()), edited: true };
    },

    async withdrawVerification(id: string, actor: Actor): Promise<AdminEntry> {
      const before = entry(id);
      await saveEntries([{ before, after: withdrawVerification(before) }], actor, "directory.unverify", id);
      const saved = entry(id);
      return { ...saved, stale: staleness(saved, now()), edited: true };
    },

    exportCsv(): string {
      return directoryToCsv(store.current().services);
    },

    async importCsv(csv: string, actor: Actor, dryRun: boolean): Promise<ImportResult> {
      const current = store.current().services;
      let next: ServiceEntry[];
      try {
        const parsed = parseDirectoryCsvWithLines(csv.replace(/^\uFEFF/, ""), {
          areas: store.base.areas,
          label: "CSV",
        });
        next = mergeDirectory(current, parsed.overrides, {
          areas: store.base.areas,
          label: "CSV",
          defaultsLabel: "当前目录",
          lineOf: (i) => parsed.lines[i],
        });
      } catch (err) {
        if (err instanceof DirectoryError) throw new DirectoryInvalidError(err.issues);
        throw err;
      }
      const diff = diffDirectory(current, next);
      const result: ImportResult = {
        dryRun,
        changes: diff.map((d) => ({ id: d.id, kind: d.kind, fields: d.fields.map((f) => f.field) })),
      };
      if (dryRun || diff.length === 0) return result;
      const before = new Map(current.map((e) => [e.id, e]));
      const changed = diff
        .map((d) => next.find((e) => e.id === d.id))
        .filter((e): e is ServiceEntry => e !== undefined)
        .map((after) => ({ before: before.get(after.id) ?? null, after }));
      await saveEntries(changed, actor, "directory.import", "directory", {
        changes: diff.map((d) => ({ id: d.id, kind: d.kind, fields: d.fields })),
      });
      return result;
    },

    async audit(limit: number) {
      const rows = await db.adminAudit.findMany({ orderBy: { id: "desc" }, take: limit });
      return rows.map((r) => ({
        id: r.id,
        actor: r.actor,
        action: r.action,
        target: r.target,
        createdAt: r.createdAt,
      }));
    },

    /** Conversations (of these) that have a case: their questions are never shown. */
    async conversationsWithCase(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db.case.findMany({
        where: { conversationId: { in: [...ids] } },
        select: { conversationId: true },
      });
      return new Set(rows.map((r) => r.conversationId));
    },

    async gaps(): Promise<{ clusters: GapCluster[]; downVoted: DownVoted[] }> {
      const since = new Date(now().getTime() - GAP_WINDOW_DAYS * 86_400_000);
      const rows = await db.unansweredQuestion.findMany({
        where: { reviewedAt: null, createdAt: { gte: since } },
        orderBy: { createdAt: "desc" },
        take: MAX_GAP_ROWS,
        select: { id: true, text: true, reason: true, createdAt: true, conversationId: true },
      });
      const withCase = await this.conversationsWithCase([
        ...new Set(rows.map((r) => r.conversationId).filter((c): c is string => c !== null)),
      ]);
      const visible = rows.filter((r) => r.conversationId === null || !withCase.has(r.conversationId));
      const clusters = clusterQuestions(visible.map((r) => ({ ...r, tokens: store.tokens(r.text) })));

      const feedback = await db.answerFeedback.findMany({
        where: { helpful: false, createdAt: { gte: since } },
        orderBy: { createdAt: "desc" },
        take: 50,
      });
      const bots = await db.message.findMany({
        where: { id: { in: feedback.map((f) => f.messageId) }, role: "bot" },
        select: { id: true, text: true, inReplyTo: true, conversationId: true },
      });
      const residents = await db.message.findMany({
        where: { id: { in: bots.map((b) => b.inReplyTo).filter((i): i is string => i !== null) } },
        select: { id: true, text: true },
      });
      const botCase = await this.conversationsWithCase([...new Set(bots.map((b) => b.conversationId))]);
      const botById = new Map(bots.map((b) => [b.id, b]));
      const residentById = new Map(residents.map((r) => [r.id, r.text]));
      const downVoted: DownVoted[] = [];
      for (const f of feedback) {
        const bot = botById.get(f.messageId);
        if (!bot || botCase.has(bot.conversationId)) continue;
        const question = bot.inReplyTo ? residentById.get(bot.inReplyTo) : undefined;
        downVoted.push({
          messageId: f.messageId,
          question: question ? maskDigits(question) : null,
          reply: maskDigits(bot.text.length > 300 ? `${bot.text.slice(0, 300)}…` : bot.text),
          at: f.createdAt,
        });
      }
      return { clusters, downVoted };
    },

    searchClauses(q: string) {
      return store
        .current()
        .index.searchPlans(q, { limit: 10 })
        .map((h) => h.citation);
    },

    async createCurated(
      body: { questionIds: string[]; wording: string; citationId?: string | undefined; serviceId?: string | undefined },
      actor: Actor,
    ) {
      if (!body.citationId && !body.serviceId) throw adminErrors.noTarget();
      if (body.citationId && !store.base.clauses.some((c) => c.id === body.citationId)) {
        throw adminErrors.clauseNotFound();
      }
      if (body.serviceId) entry(body.serviceId);
      const rows = await db.unansweredQuestion.findMany({
        where: { id: { in: body.questionIds } },
        select: { id: true, text: true, conversationId: true },
      });
      const withCase = await this.conversationsWithCase(
        rows.map((r) => r.conversationId).filter((c): c is string => c !== null),
      );
      const usable = rows.filter((r) => r.conversationId === null || !withCase.has(r.conversationId));
      if (usable.length === 0) throw adminErrors.noQuestions();
      const examples = [...new Set(usable.map((r) => maskDigits(r.text.trim())))].slice(0, 20);
      const id = randomUUID();
      const at = now();
      await db.$transaction([
        db.curatedAnswer.create({
          data: {
            id,
            examples: JSON.stringify(examples),
            wording: body.wording.trim(),
            citationId: body.citationId ?? null,
            serviceId: body.serviceId ?? null,
            createdBy: actor.username,
            createdAt: at,
          },
        }),
        db.unansweredQuestion.updateMany({ where: { id: { in: usable.map((r) => r.id) } }, data: { reviewedAt: at } }),
        db.adminAudit.create({
          data: {
            actor: actor.username,
            action: "curated.create",
            target: id,
            data: JSON.stringify({
              after: {
                examples,
                wording: body.wording.trim(),
                citationId: body.citationId ?? null,
                serviceId: body.serviceId ?? null,
              },
            }),
            createdAt: at,
          },
        }),
      ]);
      await store.rebuild();
      return { id, examples };
    },

    async listCurated() {
      const rows = await db.curatedAnswer.findMany({ where: { disabledAt: null }, orderBy: { createdAt: "desc" } });
      return rows.map((r) => ({
        id: r.id,
        examples: JSON.parse(r.examples) as string[],
        wording: r.wording,
        citationId: r.citationId,
        serviceId: r.serviceId,
        createdBy: r.createdBy,
        createdAt: r.createdAt,
      }));
    },

    async disableCurated(id: string, actor: Actor) {
      const at = now();
      const found = await db.curatedAnswer.findUnique({ where: { id } });
      if (!found || found.disabledAt) throw adminErrors.curatedNotFound();
      await db.$transaction([
        db.curatedAnswer.update({ where: { id }, data: { disabledAt: at } }),
        db.adminAudit.create({
          data: {
            actor: actor.username,
            action: "curated.disable",
            target: id,
            data: JSON.stringify({ before: { wording: found.wording } }),
            createdAt: at,
          },
        }),
      ]);
      await store.rebuild();
    },

    async stats(from: Date, to: Date): Promise<Stats> {
      const range = { gte: from, lt: to };
      const [replies, unanswered, cases, feedback] = await Promise.all([
        db.message.findMany({
          where: { role: "bot", kind: { in: ["answer", "services", "clarify", "unknown"] }, createdAt: range },
          select: { createdAt: true, kind: true, payload: true, conversation: { select: { area: true } } },
        }),
        db.unansweredQuestion.findMany({ where: { createdAt: range }, select: { createdAt: true, reason: true } }),
        db.case.findMany({
          where: { createdAt: range },
          select: { createdAt: true, category: true, severity: true, area: true, claimedAt: true, closedAt: true },
        }),
        db.answerFeedback.findMany({ where: { createdAt: range }, select: { helpful: true } }),
      ]);
      return computeStats({
        from,
        to,
        replies: replies.map((r) => ({
          createdAt: r.createdAt,
          kind: r.kind,
          payload: r.payload,
          area: r.conversation.area,
        })),
        unanswered,
        cases,
        feedback,
      });
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
