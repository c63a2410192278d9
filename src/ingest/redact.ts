/**
 * Redaction of personal data in free text (`title`, `workflow_name`) before it is stored.
 *
 * Precision matters as much as recall: titles are full of versions, dates, durations, status
 * codes and ids, and blanking those would make the data useless. So each pattern is anchored on
 * token boundaries and candidates are checked (digit counts, net.isIPv6) before being replaced.
 * Passes run in a fixed order: e-mail first (its local part may look like a phone number), then
 * IPv6 (it may embed an IPv4 address), then IPv4, then phone numbers. The replacement text
 * contains no digit, `@` or `:`, so a later pass never re-matches it and redact() is idempotent.
 */

import { isIPv6 } from 'node:net';

export const REDACTED = '[redacted]';

// Local part and domain labels accept Unicode letters (internationalized addresses). The TLD must
// be letters, which keeps `pkg@1.2.3` and `user@host` (no dot) out. The lookbehind makes the scan
// linear: a match can only start at the beginning of a local-part run.
const EMAIL =
  /(?<![\p{L}\p{N}._%+'-])[\p{L}\p{N}._%+'-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,63}(?![\p{L}\p{N}_-])/gu;

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_TEXT = `${OCTET}(?:\\.${OCTET}){3}`;

// A candidate: 2–7 `hex:` groups then a last hex group or an embedded IPv4, with an optional zone
// (`%eth0`). The regex only finds candidates; net.isIPv6 decides. A `:` may precede the candidate
// (`ip:2001:db8::1`) but a word character or `.` may not (`std::vector`, `a.b::c`), and it must
// not run on into a word, `:` or `.x` (so a clock time such as `12:30:45.5` is never cut short).
const IPV6_CANDIDATE = new RegExp(
  `(?<![\\w.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:${IPV4_TEXT}|[0-9A-Fa-f]{0,4})(?:%[0-9A-Za-z._~-]+)?(?![\\w:%]|\\.\\w)`,
  'g',
);

// Octets without leading zeros; not part of a longer dotted run (`1.2.3.4.5`, `v1.2.3.4`).
// A trailing `.` (end of sentence) or `:port` is fine.
const IPV4 = new RegExp(`(?<![\\w.])${IPV4_TEXT}(?!\\w|\\.\\d)`, 'g');

// Phone numbers. Bare digit runs (`5551234567`, epoch seconds, order numbers) are deliberately
// left alone: without a `+`, parentheses or a recognisable grouping they cannot be told apart.
const PHONE_PATTERNS: readonly RegExp[] = [
  // International: `+` country code then groups separated by at most one space, `.` or `-`,
  // optionally one group in parentheses: +44 20 7946 0958, +1-202-555-0143, +1 (202) 555-0143,
  // +44 (0)20 7946 0958, +442079460958. Digit counts are checked in isPlausibleInternational.
  /(?<![\w+])\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6}(?![\w]|[.-]\d)/g,
  // Area code in parentheses, last group exactly 4 digits: (555) 123-4567, (020) 7946 0958,
  // 1 (800) 555-0199.
  /(?<![\w)])(?:1[ .-]?)?\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{4}(?![\w]|[.-]\d)/g,
  // North American 3-3-4 with one consistent separator: 555-123-4567, 555.123.4567, 1-800-555-0199.
  // Not after `-`, `.`, `/` or a word character, so ids and paths such as run-555-123-4567 stay.
  /(?<![\w.+/-])(?:1([-.]))?\d{3}([-.])\d{3}\2\d{4}(?![\w]|[.-]\d)/g,
  // National numbers with a trunk `0` in 3 space/dash groups: 020 7946 0958, 0161 496 0000.
  /(?<![\w.+/-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w]|[.-]\d)/g,
];

function digitCount(s: string): number {
  let n = 0;
  for (const ch of s) if (ch >= '0' && ch <= '9') n++;
  return n;
}

// E.164 allows at most 15 digits. Without separators (`+15005550006`) require 10 so that signed
// quantities such as `+1500000` are not mistaken for phone numbers.
function isPlausibleInternational(match: string): boolean {
  const digits = digitCount(match);
  const compact = /^\+\d+$/.test(match);
  return digits <= 15 && digits >= (compact ? 10 : 8);
}

function isRedactableIpv6(candidate: string): boolean {
  const address = candidate.replace(/%.*$/, '');
  // `::` alone is the unspecified address and common as a separator in prose and code; leave it.
  return /[0-9A-Fa-f]/.test(address) && isIPv6(candidate);
}

/**
 * Replaces e-mail addresses, phone numbers, and IPv4/IPv6 addresses in `text` with `[redacted]`.
 * Leaves versions (`1.2.3`), dates, clock times, durations, status codes and identifiers intact.
 */
export function redact(text: string): string {
  // Every pattern needs a digit, `@` or `:`; most names and titles are done after this test.
  if (!/[\d@:]/.test(text)) return text;
  let out = text.includes('@') ? text.replace(EMAIL, REDACTED) : text;
  if (out.includes(':')) out = out.replace(IPV6_CANDIDATE, (m) => (isRedactableIpv6(m) ? REDACTED : m));
  out = out.replace(IPV4, REDACTED);
  out = out.replace(PHONE_PATTERNS[0], (m) => (isPlausibleInternational(m) ? REDACTED : m));
  out = out.replace(PHONE_PATTERNS[1], REDACTED);
  out = out.replace(PHONE_PATTERNS[2], REDACTED);
  out = out.replace(PHONE_PATTERNS[3], (m) => {
    const digits = digitCount(m);
    return digits >= 10 && digits <= 11 ? REDACTED : m;
  });
  return out;
}
