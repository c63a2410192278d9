/**
 * Time-zone primitives shared by period parsing and trend buckets.
 *
 * Luxon is used only as the source of UTC offsets (it reads the IANA database through Intl).
 * Everything else is plain epoch-millisecond arithmetic, so the rules for gaps (spring forward)
 * and overlaps (fall back) are written down here once instead of depending on how a library
 * happens to resolve an ambiguous local time.
 *
 * Vocabulary: a "wall" value is a local clock reading encoded as if it were UTC epoch ms
 * (wall = instant + offset). Wall values have no DST, so a local day is always 86_400_000 wall ms.
 */
import { IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Real offsets lie within −12 h … +14 h; the margin keeps searches around a wall time safe. */
const MAX_ABS_OFFSET_MS = 15 * HOUR_MS;

/**
 * Sampling step when looking for offset transitions (an offset lookup costs ~8 µs, so a
 * 400-day hourly trend needs ~800 of them). Only two transitions that cancel each other within
 * 12 h could be missed, which the tz database does not contain for the dates analytics deals
 * with; every other transition is located to the millisecond by bisection.
 */
const TRANSITION_SCAN_STEP_MS = 12 * HOUR_MS;

/**
 * Whether `name` is a time-zone name the IANA database (via Intl) knows.
 * Offset strings such as `+05:30` are rejected: the contract asks for zone names, and a fixed
 * offset would silently ignore DST.
 */
export function isValidTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) return false;
  if (/^[+-]/.test(name) || name.trim() !== name) return false;
  let valid = validity.get(name);
  if (valid === undefined) {
    // luxon builds a new Intl.DateTimeFormat per check, whose native memory is never returned
    // (~27 KB each): remember answers. Bounded, since unknown names are caller-supplied.
    valid = IANAZone.isValidZone(name);
    if (validity.size >= 2_000) validity.clear();
    validity.set(name, valid);
  }
  return valid;
}

/** Zone validity and zone objects per name; IANA has about 600 names. */
const validity = new Map<string, boolean>();
const zones = new Map<string, IANAZone>();

function zoneFor(tz: string): IANAZone {
  if (!isValidTimeZone(tz)) throw new RangeError(`Unknown time zone: ${tz}`);
  let zone = zones.get(tz);
  if (!zone) zones.set(tz, (zone = IANAZone.create(tz)));
  return zone;
}

/** Offset (ms, local − UTC) in force in `tz` at the instant `tsMs`. */
export function offsetAt(tz: string, tsMs: number): number {
  return offsetOf(zoneFor(tz), tsMs);
}

function offsetOf(zone: IANAZone, tsMs: number): number {
  // Luxon reports minutes (fractional for historical LMT offsets); round to whole ms.
  return Math.round(zone.offset(tsMs) * MINUTE_MS);
}

/** A stretch of time with one constant UTC offset: [startMs, endMs). */
export interface OffsetSegment {
  startMs: number;
  endMs: number;
  offsetMs: number;
}

/**
 * Splits [fromMs, toMs) into maximal segments of constant UTC offset in `tz`.
 * Each segment after the first starts exactly at an offset transition (to the millisecond).
 */
export function offsetSegments(tz: string, fromMs: number, toMs: number): OffsetSegment[] {
  if (!(toMs > fromMs)) return [];
  const zone = zoneFor(tz);
  const segments: OffsetSegment[] = [];
  let segStart = fromMs;
  let a = fromMs;
  let oa = offsetOf(zone, a);
  const last = toMs - 1;
  while (a < last) {
    const b = Math.min(a + TRANSITION_SCAN_STEP_MS, last);
    if (offsetOf(zone, b) !== oa) {
      // Bisect for the first millisecond whose offset differs from `oa`.
      let lo = a;
      let hi = b;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (offsetOf(zone, mid) === oa) lo = mid;
        else hi = mid;
      }
      segments.push({ startMs: segStart, endMs: hi, offsetMs: oa });
      segStart = hi;
      a = hi;
      oa = offsetOf(zone, hi);
      continue;
    }
    a = b;
  }
  segments.push({ startMs: segStart, endMs: toMs, offsetMs: oa });
  return segments;
}

/**
 * The earliest instant whose local clock in `tz` reads `wallMs` or later.
 *
 * This is how a local date/time becomes an instant everywhere in the reports:
 * - a normal wall time maps to its single instant;
 * - an ambiguous one (fall back) maps to its first occurrence;
 * - one inside a gap (spring forward) maps to the transition, i.e. the first instant that
 *   exists at or after it (a day whose midnight is skipped starts when its clock starts).
 */
export function instantForWall(tz: string, wallMs: number): number {
  const segments = offsetSegments(tz, wallMs - MAX_ABS_OFFSET_MS, wallMs + MAX_ABS_OFFSET_MS);
  let best = Number.POSITIVE_INFINITY;
  for (const seg of segments) {
    const candidate = Math.max(seg.startMs, wallMs - seg.offsetMs);
    if (candidate < seg.endMs && candidate < best) best = candidate;
  }
  // Unreachable with real offsets (|offset| < 15 h); fall back to the offset at the wall value.
  return Number.isFinite(best) ? best : wallMs - offsetAt(tz, wallMs);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `+05:45`, `-04:00`, `+00:00` (seconds appended only for historical second-precision offsets). */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs);
  const h = Math.floor(abs / HOUR_MS);
  const m = Math.floor((abs % HOUR_MS) / MINUTE_MS);
  const s = Math.floor((abs % MINUTE_MS) / 1000);
  return `${sign}${pad(h)}:${pad(m)}${s === 0 ? '' : `:${pad(s)}`}`;
}

/**
 * ISO 8601 local time with the given offset, e.g. `2026-03-08T00:00:00-05:00`.
 * Milliseconds appear only when non-zero. UTC is written `+00:00` rather than `Z` so every
 * trend bucket has the same shape whatever the zone.
 */
export function formatInstantWithOffset(tsMs: number, offsetMs: number): string {
  const wall = new Date(tsMs + offsetMs);
  const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  const ms = wall.getUTCMilliseconds();
  return `${date}T${time}${ms === 0 ? '' : `.${pad(ms, 3)}`}${formatOffset(offsetMs)}`;
}

/** ISO 8601 for `tsMs` with the offset in force in `tz` at that instant. */
export function formatInTimeZone(tsMs: number, tz: string): string {
  return formatInstantWithOffset(tsMs, offsetAt(tz, tsMs));
}

/** Epoch ms of a UTC calendar time; unlike Date.UTC it does not remap years 0–99 to 1900–1999. */
export function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
