/** Counts calls to Azure per kind, for benchmarks and cost-per-event tests. Plain counters: cheap enough for the hot path. */
export class CallCounter {
  private counts = new Map<string, number>();

  add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  reset(): void {
    this.counts.clear();
  }
}

export const armCalls = new CallCounter();
