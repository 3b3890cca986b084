/** Bounded concurrency: at most `limit` calls of `work` in flight, over a list, in order of the list. */

/** Results in item order; the first failure rejects (after the calls already in flight settle). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
}

/** Runs every item whatever fails; resolves to the failures (item, error) in item order. */
export async function settleLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<Array<{ item: T; error: unknown }>> {
  const outcomes = await mapLimited(items, limit, async (item) => {
    try {
      await work(item);
      return undefined;
    } catch (error) {
      return { item, error };
    }
  });
  return outcomes.filter((o): o is { item: T; error: unknown } => o !== undefined);
}
