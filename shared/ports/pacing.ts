/**
 * How work tells the ARM adapter what may wait. Revocations of events run at the default
 * (urgent) priority; reconcile and expiry run their ARM calls as background work, which the
 * adapter paces so it never spends the budget event enforcement needs (adapters/arm/armPacer).
 */
export interface WorkPacing {
  /** Runs `work` with its ARM calls at background priority. */
  background<T>(work: () => Promise<T>): Promise<T>;
}
