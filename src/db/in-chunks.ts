/**
 * Runs a query over a long id list in slices. Prisma binds every id of an
 * `in: [...]` filter as its own parameter and does not split the list itself
 * here; SQLite refuses a statement past its bound-parameter limit, so an
 * unbounded list (a long queue of waiting cases) is queried a slice at a time.
 */
export const IN_CHUNK = 500;

export async function inChunks<T, R>(
  items: readonly T[],
  query: (slice: T[]) => Promise<R[]>,
  size = IN_CHUNK,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await query(items.slice(i, i + size))));
  return out;
}
