/**
 * Trend buckets: the one definition of how a period is cut into local-clock hours, days and
 * weeks. Engines never compute bucket boundaries; they return rows (or 15-minute slots) and
 * the report assigns them with `bucketIndexFor`, so DuckDB and PostgreSQL cannot disagree.
 *
 * Rules (contract "Reports › trends" and precise reading 10):
 * - Buckets follow the local clock in `tz`. A day is 23 h or 25 h on DST days; weeks start on
 *   Monday 00:00 local.
 * - Hour buckets split whenever the local hour changes *or the clock is set back*, so the
 *   fall-back night has two `01:00` buckets (offsets −04:00 then −05:00 in New York) and the
 *   spring-forward night has no `02:00` bucket. A forward jump that stays inside the same
 *   local hour does not start a new bucket.
 * - Day and week buckets start the first time the local clock reaches a later day/week
 *   (a day whose midnight is skipped starts at the transition; a clock set back across
 *   midnight does not reopen the previous day).
 * - The first bucket starts at `from` (even inside a bucket), the last one ends at `to`.
 * - `bucketStart` is ISO 8601 with the offset in force at the bucket's first instant. UTC is
 *   written `+00:00`, not `Z`, so every point of a trend has the same shape.
 */
import { DAY_MS, HOUR_MS, formatInstantWithOffset, offsetSegments } from './tz.ts';

export type Granularity = 'hour' | 'day' | 'week';

export const GRANULARITIES: readonly Granularity[] = ['hour', 'day', 'week'];

/** One trend bucket, [startMs, endMs). */
export interface Bucket {
  startMs: number;
  endMs: number;
  bucketStart: string;
}

interface Unit {
  sizeMs: number;
  /** Wall value of the start of bucket 0; weeks are anchored on Monday 1970-01-05. */
  phaseMs: number;
}

const UNITS: Record<Granularity, Unit> = {
  hour: { sizeMs: HOUR_MS, phaseMs: 0 },
  day: { sizeMs: DAY_MS, phaseMs: 0 },
  week: { sizeMs: 7 * DAY_MS, phaseMs: 4 * DAY_MS },
};

/**
 * Cuts [fromMs, toMs) into the local-clock buckets of `granularity` in `tz` (see module doc).
 * Returns an empty list when `toMs <= fromMs`. `tz` must be a valid IANA name.
 */
export function generateBuckets(fromMs: number, toMs: number, tz: string, granularity: Granularity): Bucket[] {
  const unit = UNITS[granularity];
  if (!unit) throw new RangeError(`Unknown granularity: ${String(granularity)}`);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('Bucket range must be finite');
  if (!(toMs > fromMs)) return [];

  const keyOf = (wallMs: number): number => Math.floor((wallMs - unit.phaseMs) / unit.sizeMs);
  const wallStartOf = (key: number): number => key * unit.sizeMs + unit.phaseMs;

  const segments = offsetSegments(tz, fromMs, toMs);
  const starts: { ms: number; offsetMs: number }[] = [{ ms: fromMs, offsetMs: segments[0].offsetMs }];
  let currentKey = keyOf(fromMs + segments[0].offsetMs);

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (i > 0) {
      // An offset transition at seg.startMs: the clock jumps from (t + previous) to (t + current).
      const previousOffset = segments[i - 1].offsetMs;
      const key = keyOf(seg.startMs + seg.offsetMs);
      const opens =
        granularity === 'hour' ? key !== currentKey || seg.offsetMs < previousOffset : key > currentKey;
      if (opens) {
        starts.push({ ms: seg.startMs, offsetMs: seg.offsetMs });
        currentKey = key;
      }
    }
    // Inside a segment the clock runs steadily: the next bucket opens when it reaches the
    // start of the key after the current one.
    for (let t = wallStartOf(currentKey + 1) - seg.offsetMs; t < seg.endMs; t = wallStartOf(currentKey + 1) - seg.offsetMs) {
      starts.push({ ms: t, offsetMs: seg.offsetMs });
      currentKey += 1;
    }
  }

  return starts.map((s, i) => ({
    startMs: s.ms,
    endMs: i + 1 < starts.length ? starts[i + 1].ms : toMs,
    bucketStart: formatInstantWithOffset(s.ms, s.offsetMs),
  }));
}

/**
 * Index of the bucket containing `tsMs` (binary search), or −1 when it lies outside all of them.
 * `buckets` must be contiguous and ascending, as `generateBuckets` returns them.
 *
 * For engines that pre-aggregate into 15-minute UTC slots: every bucket boundary except `from`
 * and `to` lies on a 15-minute multiple for current zones, so a slot is assigned with
 * `bucketIndexFor(buckets, Math.max(slotStartMs, fromMs))` (its rows are already ≥ from).
 */
export function bucketIndexFor(buckets: readonly Bucket[], tsMs: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (buckets[mid].startMs <= tsMs) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && tsMs < buckets[found].endMs ? found : -1;
}
