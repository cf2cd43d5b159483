import { createAnswerService } from "../answer/answer-service.ts";
import type { Knowledge } from "../app.ts";
import type { SearchHit } from "../chat/search-types.ts";
import { createSearchIndex } from "../search/search-index.ts";
import { composeSafetyReply } from "../triage/safety-reply-fns.ts";
import { createTriage } from "../triage/triage-fns.ts";
import { loadTriageLexicon } from "../triage/triage-lexicon.ts";
import { loadAreas, loadDirectory } from "./directory-loader.ts";
import { loadPlanClauses } from "./plan-loader.ts";

export interface LoadKnowledgeOptions {
  /** A CSV/YAML of verified local directory data, applied over the defaults. */
  directoryOverrides?: string | undefined;
}

/**
 * Reads every file under knowledge/ and builds what the app answers from.
 * Any invalid file throws here, naming the file and what is wrong, so a bad
 * edit stops start-up instead of serving wrong answers.
 */
export function loadKnowledge(options: LoadKnowledgeOptions): Knowledge {
  const clauses = loadPlanClauses();
  const areas = loadAreas();
  const services = loadDirectory(options.directoryOverrides ? { overridesFile: options.directoryOverrides } : {});
  const lexicon = loadTriageLexicon();
  const index = createSearchIndex({ clauses, services, areas });
  const answers = createAnswerService({ index, clauses, services, areas });
  const triage = createTriage(lexicon);

  return {
    triage: (text, context) => triage(text, context),
    answer: (text, opts) => answers.answer(text, opts),
    safetyReply: (args) => composeSafetyReply(args),
    queueFor: (category) => lexicon.queues[category].id,
    resolveArea: (area) => index.resolveArea(area),
    directory: () => ({ entries: services, areas }),
    search: (query, opts): SearchHit[] =>
      index
        .search(query, { type: opts.type, area: opts.area, limit: opts.limit })
        .map((hit) =>
          hit.type === "plan"
            ? { type: "plan", score: hit.score, citation: hit.citation }
            : { type: "service", score: hit.score, service: hit.service },
        ),
  };
}
