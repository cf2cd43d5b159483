/**
 * Wake-ups for live consoles: "case event #seq happened". The database stays
 * the record — a notice carries only ids, and whoever receives it reads the
 * event from the database — so a lost notice costs latency, never data (a
 * console that reconnects backfills from GET /api/staff/events or `resume`).
 *
 * In-process now. With several instances on PostgreSQL, an implementation of
 * the same interface publishes with NOTIFY and subscribes with LISTEN.
 */
import type { CaseEventType } from "./case-types.ts";

export interface CaseEventNotice {
  /** CaseEvent.id: the global event sequence number. */
  seq: number;
  caseId: string;
  type: CaseEventType;
  /** The case's queue after the event. */
  queue: string;
  /** For `transferred`: the queue the case left (its staff are told too). */
  fromQueue?: string;
}

export type CaseEventListener = (notice: CaseEventNotice) => void | Promise<void>;

export interface EventBus {
  /** Call after the event's transaction has committed; never blocks the caller. */
  publish(notice: CaseEventNotice): void;
  /** Returns a function that unsubscribes. */
  subscribe(listener: CaseEventListener): () => void;
}

export function createInProcessEventBus(onListenerError: (err: unknown) => void = () => {}): EventBus {
  const listeners = new Set<CaseEventListener>();
  return {
    publish(notice) {
      for (const listener of [...listeners]) {
        // Off the caller's path: a resident's reply or a staff action never waits for consoles.
        queueMicrotask(() => {
          try {
            const result = listener(notice);
            if (result) result.catch(onListenerError);
          } catch (err) {
            onListenerError(err);
          }
        });
      }
    },
    subscribe(listener) {
      const entry: CaseEventListener = (n) => listener(n);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}
