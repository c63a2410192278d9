// Display formatting. Raw values stay in data-value attributes; these strings are for people.

export const DASH = '—';

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const threeDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdSmall = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

export function formatInt(value: number | null | undefined): string {
  return value == null ? DASH : intFmt.format(value);
}

export function formatPercent(value: number | null | undefined, digits: 1 | 2 = 1): string {
  if (value == null) return DASH;
  return `${(digits === 1 ? oneDecimal : twoDecimals).format(value)} %`;
}

export function formatUsd(value: number | null | undefined): string {
  if (value == null) return DASH;
  return Math.abs(value) < 1 && value !== 0 ? usdSmall.format(value) : usd.format(value);
}

export function formatAuc(value: number | null | undefined): string {
  return value == null ? DASH : threeDecimals.format(value);
}

export function formatMs(value: number | null | undefined): string {
  if (value == null) return DASH;
  return value >= 1000 ? `${twoDecimals.format(value / 1000)} s` : `${intFmt.format(value)} ms`;
}

/** Seconds as h/m/s: 3725 → "1h 2m 5s", 42.4 → "42s", 0.4 → "0.4s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return DASH;
  const sign = seconds < 0 ? '−' : '';
  const abs = Math.abs(seconds);
  if (abs < 1) return abs === 0 ? '0s' : `${sign}${oneDecimal.format(abs)}s`;
  const total = Math.round(abs);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return sign + parts.join(' ');
}

/**
 * Seconds with at most two units, for big figures: 8551.6 → "2h 23m", 754 → "12m 34s", 42.4 → "42s".
 * The exact value stays in the tile's data-value and title.
 */
export function formatDurationShort(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return DASH;
  const abs = Math.abs(seconds);
  if (abs < 3600) return formatDuration(seconds);
  const sign = seconds < 0 ? '−' : '';
  if (abs < 86_400) {
    const minutes = Math.round(abs / 60);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return sign + (m ? `${h}h ${m}m` : `${h}h`);
  }
  const hours = Math.round(abs / 3600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return sign + (h ? `${d}d ${h}h` : `${d}d`);
}

const DURATION_UNITS = [
  { seconds: 1, suffix: 's', steps: [1, 2, 5, 10, 15, 30] },
  { seconds: 60, suffix: 'm', steps: [1, 2, 5, 10, 15, 30] },
  { seconds: 3600, suffix: 'h', steps: [1, 2, 3, 4, 6, 12] },
  { seconds: 86_400, suffix: 'd', steps: [1, 2, 7, 14, 30, 90] },
] as const;

/**
 * A value axis in seconds with ticks on whole units ("0", "2h", "4h", …) instead of ECharts'
 * decimal steps (2h 46m 40s, 5h 33m 20s, …), for about `ticks` intervals up to `maxSeconds`.
 */
export function durationAxis(maxSeconds: number, ticks = 5): { interval: number; formatter: (v: number) => string } {
  const max = Math.max(1, maxSeconds);
  const unit = [...DURATION_UNITS].reverse().find((u) => max / u.seconds >= 2) ?? DURATION_UNITS[0];
  const raw = max / unit.seconds / ticks;
  const last = unit.steps[unit.steps.length - 1];
  const step = unit.steps.find((s) => s >= raw) ?? Math.ceil(raw / last) * last;
  return {
    interval: step * unit.seconds,
    formatter: (v: number) => (v === 0 ? '0' : `${intFmt.format(v / unit.seconds)}${unit.suffix}`),
  };
}

/** Local wall-clock date and time of an ISO instant, for tables. */
export function formatInstant(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(date);
}

/** Signed number with a real minus sign. */
export function signed(text: string, value: number): string {
  if (value > 0) return `+${text}`;
  if (value < 0) return `−${text.replace(/^[-−]/, '')}`;
  return `±${text}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
