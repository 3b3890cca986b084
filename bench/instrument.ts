/**
 * The benchmarks' counters: every store operation and every call to ARM and Graph made by the app
 * under test (and by a benchmark's own "floor" calls through the stack's containers). Handed to
 * the local stack as `instrument`; nothing in production counts anything.
 */
import type { Instrumentation } from '../shared/compositionRoot';
import { CallCounter } from './callCounter';
import { StoreOpCounter } from './storeOps';

export const storeOps = new StoreOpCounter();
export const armCalls = new CallCounter();

export const instrumentation: Instrumentation = { cosmosHttpClient: storeOps.httpClient(), decorate: armCalls.decorate };
