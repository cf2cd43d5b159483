/**
 * A bounded least-recently-used cache. A Map keeps insertion order, so the
 * first key is the least recently used once every hit re-inserts its key.
 *
 * Used for pure computations over a frozen input (an answer for a question
 * under one knowledge build, a triage verdict for a text): many residents ask
 * the same few questions, and the cache turns those repeats into a lookup.
 */
export interface LruCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  readonly size: number;
}

export function createLruCache<V>(capacity: number): LruCache<V> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  const map = new Map<string, V>();
  return {
    get(key) {
      const value = map.get(key);
      if (value === undefined) return undefined;
      map.delete(key);
      map.set(key, value);
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > capacity) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
    },
    get size() {
      return map.size;
    },
  };
}

/** Memoises a one-argument pure function whose results are never mutated by callers. */
export function memoize<V>(capacity: number, fn: (key: string) => V): (key: string) => V {
  const cache = createLruCache<V>(capacity);
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(key);
    cache.set(key, value);
    return value;
  };
}
