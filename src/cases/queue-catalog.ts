/**
 * The staff queues: ids and names from knowledge/triage/queues.yaml (the file
 * triage routes by, so the two never disagree) and staffed hours from
 * knowledge/queues/schedules.yaml. Loaded once at start-up; a bad file stops it.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { QueueView } from "./case-types.ts";
import { isOpenAt, nextOpening, parseSchedules, type QueueSchedule } from "./schedule-fns.ts";

export const DEFAULT_QUEUES_FILE = new URL("../../knowledge/triage/queues.yaml", import.meta.url);
export const DEFAULT_SCHEDULES_FILE = new URL("../../knowledge/queues/schedules.yaml", import.meta.url);

export interface QueueDef {
  id: string;
  name: string;
  schedule: QueueSchedule;
}

export interface QueueCatalog {
  /** In the order of queues.yaml. */
  readonly queues: readonly QueueDef[];
  has(id: string): boolean;
  /** The queue's Chinese name; the id itself for a queue no file knows. */
  name(id: string): string;
  isOpen(id: string, at: Date): boolean;
  /** When staff are next on duty for a queue closed at `at`; null when always staffed or unknown. */
  nextOpening(id: string, at: Date): Date | null;
  view(id: string, at: Date): QueueView;
}

// Only what the catalog needs; triage-lexicon.ts validates the whole file strictly.
const queuesFileSchema = z.object({
  queues: z.record(z.string(), z.object({ id: z.string().min(1), name: z.string().min(1) })),
});

export function createQueueCatalog(defs: readonly QueueDef[]): QueueCatalog {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const catalog: QueueCatalog = {
    queues: defs,
    has: (id) => byId.has(id),
    name: (id) => byId.get(id)?.name ?? id,
    // An unknown queue has no rota: treat it as unstaffed so residents get the 24-hour numbers.
    isOpen: (id, at) => {
      const def = byId.get(id);
      return def ? isOpenAt(def.schedule, at) : false;
    },
    nextOpening: (id, at) => {
      const def = byId.get(id);
      return def ? nextOpening(def.schedule, at) : null;
    },
    view: (id, at) => {
      const openNow = catalog.isOpen(id, at);
      const next = openNow ? null : catalog.nextOpening(id, at);
      return { id, name: catalog.name(id), openNow, nextOpenAt: next ? next.toISOString() : null };
    },
  };
  return catalog;
}

/** Builds the catalog from the two YAML texts (pure; file names only for error messages). */
export function parseQueueCatalog(queuesYaml: string, schedulesYaml: string): QueueCatalog {
  const parsed = queuesFileSchema.safeParse(parseYaml(queuesYaml));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`queues.yaml: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
  }
  const queues = Object.values(parsed.data.queues);
  const schedules = parseSchedules(
    schedulesYaml,
    queues.map((q) => q.id),
  );
  return createQueueCatalog(
    queues.map((q) => ({ id: q.id, name: q.name, schedule: schedules[q.id] as QueueSchedule })),
  );
}

export function loadQueueCatalog(files: { queues?: string | URL; schedules?: string | URL } = {}): QueueCatalog {
  return parseQueueCatalog(
    readFileSync(files.queues ?? DEFAULT_QUEUES_FILE, "utf8"),
    readFileSync(files.schedules ?? DEFAULT_SCHEDULES_FILE, "utf8"),
  );
}
