/**
 * Counts calls to Azure per kind (`roleAssignments.get`, `graph`, ...), for benchmarks and
 * cost-per-event tests. `decorate` is handed to the composition root (`Instrumentation.decorate`)
 * and wraps the ARM and Graph ports; production code never knows it is counted.
 */
import type { Deps } from '../shared/ports/deps';

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

  /** The port with every method call counted as `<prefix>.<method>` (or `prefix` alone), list pages one by one. */
  count<T extends object>(port: T, kindOf: (method: string) => string): T {
    return new Proxy(port, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        const method = (value as (...a: unknown[]) => unknown).bind(target);
        return (...args: unknown[]) => {
          const result = method(...args);
          if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return this.countPages(result as AsyncIterable<unknown>, kindOf(prop));
          this.add(kindOf(prop));
          return result;
        };
      },
    });
  }

  private async *countPages<P>(pages: AsyncIterable<P>, kind: string): AsyncIterable<P> {
    const iterator = pages[Symbol.asyncIterator]();
    while (true) {
      this.add(kind);
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  /** For `Instrumentation.decorate`: counts role assignment, role definition, storage account and vault calls by method and directory calls as `graph`. */
  readonly decorate = <K extends keyof Deps>(name: K, port: Deps[K]): Deps[K] => {
    if (name === 'roleAssignments') return this.count(port as Deps['roleAssignments'], (m) => `roleAssignments.${m === 'listForScope' ? 'list' : m}`) as Deps[K];
    if (name === 'directory') return this.count(port as Deps['directory'], () => 'graph') as Deps[K];
    if (name === 'roleDefinitions') return this.count(port as Deps['roleDefinitions'], (m) => `roleDefinitions.${m}`) as Deps[K];
    if (name === 'guardrails') {
      const g = port as Deps['guardrails'];
      return { ...g, resources: this.count(g.resources, (m) => `guardrails.${m}`), secrets: this.count(g.secrets, (m) => `secrets.${m}`) } as Deps[K];
    }
    return port;
  };
}
