// Plain-date arithmetic (YYYY-MM-DD, calendar days, no time zone involved) and zone helpers.

export const MAX_RANGE_DAYS = 400;
export const DEFAULT_DAYS = 30;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isPlainDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function toUtcMs(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3]);
}

function fromUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromUtcMs(toUtcMs(date) + days * 86_400_000);
}

/** Whole calendar days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toUtcMs(b) - toUtcMs(a)) / 86_400_000);
}

/** Today's calendar date in `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A query period: `from` inclusive, `to` exclusive, both plain dates (midnight in tz). */
export interface QueryPeriod {
  from: string;
  to: string;
}

/** The date inputs say "from … through …" (both inclusive); the API's `to` is exclusive. */
export function periodFromInputs(fromInclusive: string, throughInclusive: string): QueryPeriod {
  return { from: fromInclusive, to: addDays(throughInclusive, 1) };
}

/** The period of equal length (in calendar days) just before `period`. */
export function previousPeriod(period: QueryPeriod): QueryPeriod {
  const days = daysBetween(period.from, period.to);
  return { from: addDays(period.from, -days), to: period.from };
}

/** Default inputs: the last 30 days, today included. */
export function defaultInputs(timeZone: string, now: Date = new Date()): { from: string; through: string } {
  const through = todayIn(timeZone, now);
  return { from: addDays(through, -(DEFAULT_DAYS - 1)), through };
}

/** A human problem with the inputs, or null when they are fine. */
export function validateInputs(fromInclusive: string, throughInclusive: string): string | null {
  if (!isPlainDate(fromInclusive) || !isPlainDate(throughInclusive)) return 'Pick both a start and an end date.';
  const days = daysBetween(fromInclusive, throughInclusive) + 1;
  if (days < 1) return 'The start date must be on or before the end date.';
  if (days > MAX_RANGE_DAYS) return `Pick at most ${MAX_RANGE_DAYS} days (this is ${days}).`;
  return null;
}

/**
 * Chromium and other ICU-based browsers name some zones by their old CLDR ids (a browser set to
 * Asia/Kolkata reports "Asia/Calcutta", and the zone list has no "Asia/Kolkata"). These are the
 * renamed ones; the dashboard shows and sends the current IANA name (the API takes either).
 */
const RENAMED_ZONES: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

function zoneKnown(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The current IANA name of a zone, when the browser gave an old one and knows the new one. */
export function currentZoneName(zone: string): string {
  const renamed = RENAMED_ZONES[zone];
  return renamed && zoneKnown(renamed) ? renamed : zone;
}

export function browserTimeZone(): string {
  try {
    return currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  } catch {
    return 'UTC';
  }
}

export function timeZones(current: string): string[] {
  let zones: string[] = [];
  try {
    const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  const all = new Set(zones.map(currentZoneName));
  all.add('UTC');
  all.add(current);
  return [...all].sort((a, b) => a.localeCompare(b));
}
