/**
 * Live knowledge: what the app answers from, rebuildable without a restart.
 *
 * The static parts (plan clauses, areas, the directory files with their
 * overrides file, the triage lexicon, the tokenizer) are loaded once. A
 * rebuild reads the administrators' `DirectoryEdit` rows and the enabled
 * `CuratedAnswer` rows, applies the edits over the files with
 * `mergeDirectory` (the same zod schema and truth-in-data rule), rebuilds the
 * search index and the answer service, and swaps them in one assignment.
 *
 * `knowledge` is a facade whose `answer`, `search` and `resolveArea` always
 * use the current build, so the chat service and the routes built once at
 * start-up see every rebuild at once.
 */
import { createAnswerService } from "../answer/answer-service.ts";
import type { Knowledge } from "../app.ts";
import type { AnswerResult } from "../chat/chat-types.ts";
import type { SearchHit } from "../chat/search-types.ts";
import type { Db } from "../db/prisma-client.ts";
import { mergeDirectory } from "../knowledge/directory-import-fns.ts";
import { loadAreas, loadDirectory } from "../knowledge/directory-loader.ts";
import type { ServiceEntryOverride } from "../knowledge/directory-schema.ts";
import type { AreaDef, PlanClause, ServiceEntry } from "../knowledge/knowledge-types.ts";
import { loadPlanClauses } from "../knowledge/plan-loader.ts";
import { createNormalizer, lexiconWords, loadLexicon, type Normalizer } from "../search/normalize-fns.ts";
import { createSearchIndex, type SearchIndex, toCitation, toServiceCard } from "../search/search-index.ts";
import {
  createJieba,
  createKeyTermExtractor,
  createTokenizer,
  DEFAULT_TOKENIZER,
  type KeyTerm,
  loadTokenizerResources,
  type Tokenizer,
} from "../search/tokenizer-fns.ts";
import { createLruCache, memoize } from "../shared/lru-cache.ts";
import { composeSafetyReply } from "../triage/safety-reply-fns.ts";
import { createTriage } from "../triage/triage-fns.ts";
import { loadTriageLexicon } from "../triage/triage-lexicon.ts";
import { CURATED_STRONG, CURATED_THRESHOLD, type CuratedCandidate, matchCurated, questionTokens } from "./gap-fns.ts";

/** Distinct questions (and triage texts) remembered per build: a few MB at most. */
const CACHE_ENTRIES = 4096;

/** What never changes at run time: loaded once per process (tests share it between apps). */
export interface StaticKnowledge {
  clauses: readonly PlanClause[];
  areas: readonly AreaDef[];
  /** The directory files with the overrides file applied: what admin edits go over. */
  baseServices: readonly ServiceEntry[];
  triage: Knowledge["triage"];
  queueFor: Knowledge["queueFor"];
  tokenizer: Tokenizer;
  normalizer: Normalizer;
  keyTermsOf: (foldedText: string) => KeyTerm[];
}

export function loadStaticKnowledge(options: { directoryOverrides?: string | undefined } = {}): StaticKnowledge {
  const clauses = loadPlanClauses();
  const areas = loadAreas();
  const baseServices = loadDirectory(options.directoryOverrides ? { overridesFile: options.directoryOverrides } : {});
  const lexicon = loadTriageLexicon();
  const triage = createTriage(lexicon);
  const triageFresh = memoize(CACHE_ENTRIES, (text) => triage(text));
  const searchLexicon = loadLexicon();
  const resources = loadTokenizerResources(clauses, areas, baseServices, lexiconWords(searchLexicon));
  const jieba = createJieba(resources.userWords);
  return {
    clauses,
    areas,
    baseServices,
    // Context-free verdicts are cached: the same text always gets the same verdict, and
    // residents repeat each other. A message with an open case is triaged afresh.
    triage: (text, context) => (context ? triage(text, context) : triageFresh(text)),
    queueFor: (category) => lexicon.queues[category].id,
    tokenizer: createTokenizer(DEFAULT_TOKENIZER, resources, jieba),
    normalizer: createNormalizer(searchLexicon, resources.userWords),
    keyTermsOf: createKeyTermExtractor(jieba, resources.stopwords),
  };
}

/** An enabled curated answer as the answer service uses it. */
export interface CuratedAnswerDef {
  id: string;
  examples: string[];
  wording: string;
  citationId: string | null;
  serviceId: string | null;
}

/** One build: the directory as served, the index over it and the curated answers. */
export interface KnowledgeBuild {
  services: readonly ServiceEntry[];
  /** Ids an admin edit touched (DirectoryEdit rows, not deleted). */
  editedIds: ReadonlySet<string>;
  index: SearchIndex;
  curated: readonly CuratedAnswerDef[];
  answer(text: string, opts?: { area?: string | null }): AnswerResult;
  builtAt: Date;
}

export interface KnowledgeStore {
  /** For buildApp: every call uses the current build. */
  readonly knowledge: Knowledge;
  readonly base: StaticKnowledge;
  current(): KnowledgeBuild;
  /** Reloads edits and curated answers from the database and swaps the build in. */
  rebuild(): Promise<KnowledgeBuild>;
  /** The directory the given edits would give (validated; throws DirectoryError): for checks before saving. */
  directoryWith(edits: readonly DirectoryEditRow[]): ServiceEntry[];
  /** Tokens of a question as curated matching and gap clustering see them. */
  tokens(text: string): string[];
  /**
   * Rebuilds when another instance changed edits or curated answers (checked
   * every `intervalMs` with two aggregate queries). Returns the stop function.
   */
  watch(intervalMs: number, onError?: (err: unknown) => void): () => void;
}

export interface DirectoryEditRow {
  id: string;
  data: string;
  deletedAt: Date | null;
}

/** Applies edit rows (full entries as JSON; deletions) over the base directory. */
export function applyDirectoryEdits(
  base: readonly ServiceEntry[],
  edits: readonly DirectoryEditRow[],
  areas: readonly AreaDef[],
): ServiceEntry[] {
  const deleted = new Set(edits.filter((e) => e.deletedAt !== null).map((e) => e.id));
  const overrides = edits
    .filter((e) => e.deletedAt === null)
    .map((e) => ({ ...(JSON.parse(e.data) as ServiceEntryOverride), id: e.id }));
  const merged = overrides.length > 0 ? mergeDirectory(base, overrides, { areas, label: "管理员修改" }) : [...base];
  return deleted.size > 0 ? merged.filter((e) => !deleted.has(e.id)) : merged;
}

function parseExamples(json: string): string[] {
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export async function createKnowledgeStore(opts: { db: Db; base?: StaticKnowledge }): Promise<KnowledgeStore> {
  const { db } = opts;
  const base = opts.base ?? loadStaticKnowledge();
  const tokens = (text: string) => questionTokens(text, base.normalizer, base.tokenizer);

  function build(edits: readonly DirectoryEditRow[], curatedRows: readonly CuratedAnswerDef[]): KnowledgeBuild {
    const services = applyDirectoryEdits(base.baseServices, edits, base.areas);
    const index = createSearchIndex({
      clauses: base.clauses,
      services,
      areas: base.areas,
      tokenizer: base.tokenizer,
      normalizer: base.normalizer,
      keyTermsOf: base.keyTermsOf,
    });
    const answers = createAnswerService({ index, clauses: base.clauses, services, areas: base.areas });
    const clauseById = new Map(base.clauses.map((c) => [c.id, c]));
    const serviceById = new Map(services.map((s) => [s.id, s]));
    const candidates: CuratedCandidate<CuratedAnswerDef>[] = curatedRows.map((c) => ({
      value: c,
      examples: c.examples.map((e) => tokens(e)),
    }));
    const curatedResult = (c: CuratedAnswerDef): AnswerResult => {
      const clause = c.citationId ? clauseById.get(c.citationId) : undefined;
      const entry = c.serviceId ? serviceById.get(c.serviceId) : undefined;
      if (entry) {
        return {
          kind: "services",
          reply: c.wording,
          citations: clause ? [toCitation(clause)] : [],
          services: [toServiceCard(entry)],
          unanswered: null,
        };
      }
      return {
        kind: "answer",
        reply: c.wording,
        citations: clause ? [toCitation(clause)] : [],
        services: [],
        unanswered: null,
      };
    };
    const answerCache = createLruCache<AnswerResult>(CACHE_ENTRIES);
    const answerOnce = (text: string, answerOpts: { area?: string | null }): AnswerResult => {
      const result = answers.answer(text, answerOpts);
      // A curated answer stands in where the service could not answer well, or for
      // near-identical questions (the admin wrote it for them).
      if (candidates.length === 0 || result.kind === "clarify") return result;
      const match = matchCurated(tokens(text), candidates, result.unanswered ? CURATED_THRESHOLD : CURATED_STRONG);
      return match ? curatedResult(match.value) : result;
    };
    return {
      services,
      editedIds: new Set(edits.filter((e) => e.deletedAt === null).map((e) => e.id)),
      index,
      curated: curatedRows,
      builtAt: new Date(),
      answer(text, answerOpts = {}) {
        // Per build, so an admin's edit (a new build) is never answered from a stale cache.
        const key = `${answerOpts.area ?? ""}\u0000${text}`;
        const cached = answerCache.get(key);
        if (cached) return cached;
        const answer = answerOnce(text, answerOpts);
        answerCache.set(key, answer);
        return answer;
      },
    };
  }

  async function load(): Promise<KnowledgeBuild> {
    const [edits, curated] = await Promise.all([
      db.directoryEdit.findMany({ orderBy: [{ updatedAt: "asc" }, { id: "asc" }] }),
      db.curatedAnswer.findMany({ where: { disabledAt: null }, orderBy: { createdAt: "asc" } }),
    ]);
    return build(
      edits,
      curated.map((c) => ({
        id: c.id,
        examples: parseExamples(c.examples),
        wording: c.wording,
        citationId: c.citationId,
        serviceId: c.serviceId,
      })),
    );
  }

  /** What the database holds now, cheaply: changes when any edit or curated answer does. */
  async function fingerprint(): Promise<string> {
    const [edits, curated, disabled] = await Promise.all([
      db.directoryEdit.aggregate({ _count: { _all: true }, _max: { updatedAt: true } }),
      db.curatedAnswer.aggregate({ _count: { _all: true }, _max: { createdAt: true } }),
      db.curatedAnswer.count({ where: { disabledAt: { not: null } } }),
    ]);
    return JSON.stringify([
      edits._count._all,
      edits._max.updatedAt,
      curated._count._all,
      curated._max.createdAt,
      disabled,
    ]);
  }

  let seen = await fingerprint();
  let current = await load();
  // Rebuilds run one after another, each reading the database afresh: the last one reflects every commit before it.
  let queue: Promise<unknown> = Promise.resolve();

  function rebuild(): Promise<KnowledgeBuild> {
    const next = queue.then(async () => {
      const print = await fingerprint();
      current = await load();
      seen = print;
      return current;
    });
    queue = next.catch(() => undefined);
    return next;
  }

  const knowledge: Knowledge = {
    triage: base.triage,
    safetyReply: (args) => composeSafetyReply(args),
    queueFor: base.queueFor,
    answer: (text, answerOpts) => current.answer(text, answerOpts),
    resolveArea: (area) => current.index.resolveArea(area),
    directory: () => ({ entries: current.services, areas: base.areas }),
    search: (query, searchOpts): SearchHit[] =>
      current.index
        .search(query, { type: searchOpts.type, area: searchOpts.area, limit: searchOpts.limit })
        .map((hit) =>
          hit.type === "plan"
            ? { type: "plan", score: hit.score, citation: hit.citation }
            : { type: "service", score: hit.score, service: hit.service },
        ),
  };

  return {
    knowledge,
    base,
    current: () => current,
    rebuild,
    directoryWith: (edits) => applyDirectoryEdits(base.baseServices, edits, base.areas),
    tokens,
    watch(intervalMs, onError) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        fingerprint()
          .then((print) => (print === seen ? undefined : rebuild()))
          .catch((err: unknown) => onError?.(err))
          .finally(() => {
            busy = false;
          });
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
