/**
 * Uptime (contract "GET /reports/health"): 100 × (1 − length of the union of the service's
 * critical incidents' [opened_at, resolved_at or to) within the period / period length).
 */

/** A half-open interval [start, end) in epoch ms. */
export type Interval = readonly [start: number, end: number];

/** A critical incident as uptime sees it. */
export interface OutageIncident {
  openedMs: number;
  /** null while unresolved: the outage lasts until the end of the period. */
  resolvedMs: number | null;
}

/**
 * Length of the union of `intervals`, each clipped to [clipFrom, clipTo).
 * Overlapping or touching intervals are counted once; empty or inverted ones add nothing.
 */
export function unionLength(intervals: readonly Interval[], clipFrom: number, clipTo: number): number {
  const clipped: [number, number][] = [];
  for (const [start, end] of intervals) {
    const s = Math.max(start, clipFrom);
    const e = Math.min(end, clipTo);
    if (e > s) clipped.push([s, e]);
  }
  clipped.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let runStart = Number.NaN;
  let runEnd = Number.NaN;
  for (const [s, e] of clipped) {
    if (Number.isNaN(runStart) || s > runEnd) {
      if (!Number.isNaN(runStart)) total += runEnd - runStart;
      runStart = s;
      runEnd = e;
    } else if (e > runEnd) {
      runEnd = e;
    }
  }
  if (!Number.isNaN(runStart)) total += runEnd - runStart;
  return total;
}

/**
 * Uptime percentage of [fromMs, toMs) given a service's critical incidents.
 * An unresolved incident is down until `toMs`; parts outside the period are ignored, so the
 * caller may pass every critical incident that overlaps the period. Null for an empty period.
 */
export function uptimePercent(criticalIncidents: readonly OutageIncident[], fromMs: number, toMs: number): number | null {
  if (!(toMs > fromMs)) return null;
  const intervals: Interval[] = criticalIncidents.map((i) => [i.openedMs, i.resolvedMs ?? toMs]);
  const down = unionLength(intervals, fromMs, toMs);
  return 100 * (1 - down / (toMs - fromMs));
}
