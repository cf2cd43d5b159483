/**
 * Commits that arrive while others are in flight go together in the next one.
 *
 * Why: on PostgreSQL every commit is a round trip, a statement and a WAL
 * flush, and on this kind of machine the round trip itself — two processes
 * woken, two context switches — cost more CPU than the statement. With at
 * most `maxInFlight` commits running, what arrives meanwhile waits and is
 * committed as one batch when a slot frees: under light load every item goes
 * alone at once; under heavy load batches grow with the load, as a database's
 * own group commit does.
 *
 * Each item stays all or nothing: when a batch fails, its items are retried
 * one by one, so each caller hears its own outcome (one bad item never fails
 * the rest). Items with the same key never share a batch (their order holds).
 * Every caller hears back only after its commit.
 */
export interface CommitCoalescerOptions<T> {
  /** Commits several items in one transaction (all or none). */
  commitBatch(items: readonly T[]): Promise<void>;
  /** Commits one item on its own. */
  commitOne(item: T): Promise<void>;
  /** Items with the same key go in separate batches, in the order they came. */
  key(item: T): string;
  maxInFlight: number;
  maxBatch: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createCommitCoalescer<T>(opts: CommitCoalescerOptions<T>): (item: T) => Promise<void> {
  const queue: Waiting<T>[] = [];
  let inFlight = 0;

  /** The next batch: queued items in order, each key once, at most maxBatch. */
  function take(): Waiting<T>[] {
    const batch: Waiting<T>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < opts.maxBatch; ) {
      const w = queue[i] as Waiting<T>;
      const k = opts.key(w.item);
      if (keys.has(k)) {
        i++;
        continue;
      }
      keys.add(k);
      batch.push(w);
      queue.splice(i, 1);
    }
    return batch;
  }

  async function commit(batch: Waiting<T>[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0] as Waiting<T>;
      await opts.commitOne(only.item).then(only.resolve, only.reject);
      return;
    }
    try {
      await opts.commitBatch(batch.map((w) => w.item));
    } catch {
      // The batch rolled back as a whole: each item again alone, to find its own outcome.
      await Promise.all(batch.map((w) => opts.commitOne(w.item).then(w.resolve, w.reject)));
      return;
    }
    for (const w of batch) w.resolve();
  }

  function pump(): void {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const batch = take();
      inFlight++;
      void commit(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}
