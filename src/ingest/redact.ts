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
 *
 * Each pass runs only when the text holds what every one of its replacements needs (one scan,
 * counting ASCII digits — `\d` in these patterns — and noting `@ : . + ( ) - space`). The
 * replacement text has none of those characters, so counts taken on the input bound every later
 * pass's input as well: a skipped pass could not have changed anything, and the result is that of
 * running every pass (test/unit/ingest/redact-fast.test.ts checks this on random input).
 */
export function redact(text: string): string {
  let digits = 0;
  let dots = 0;
  let at = false;
  let colon = false;
  let plus = false;
  let paren = false;
  let dash = false;
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e) dots++;
    else if (c === 0x2d) dash = true;
    else if (c === 0x20) space = true;
    else if (c === 0x40) at = true;
    else if (c === 0x3a) colon = true;
    else if (c === 0x2b) plus = true;
    else if (c === 0x28) paren = true;
  }
  // Nothing to do: no e-mail (`@`), no IPv6 (`:`), too few digits for anything else.
  if (!at && !colon && digits < 4) return text;
  let out = at ? text.replace(EMAIL, REDACTED) : text;
  if (colon && out.includes(':')) out = out.replace(IPV6_CANDIDATE, (m) => (isRedactableIpv6(m) ? REDACTED : m));
  // a.b.c.d: 4 digits, 3 dots.
  if (digits >= 4 && dots >= 3) out = out.replace(IPV4, REDACTED);
  // `+` and at least 8 digits (isPlausibleInternational).
  if (plus && digits >= 8) out = out.replace(PHONE_PATTERNS[0], (m) => (isPlausibleInternational(m) ? REDACTED : m));
  // `(` … `)` and at least 2 + 3 + 4 digits.
  if (paren && digits >= 9) out = out.replace(PHONE_PATTERNS[1], REDACTED);
  // 3-3-4 digits with `-` or `.` separators.
  if (digits >= 10 && (dash || dots >= 2)) out = out.replace(PHONE_PATTERNS[2], REDACTED);
  // Replaced only with 10 or 11 digits; groups separated by a space or `-`.
  if (digits >= 10 && (dash || space)) {
    out = out.replace(PHONE_PATTERNS[3], (m) => {
      const n = digitCount(m);
      return n >= 10 && n <= 11 ? REDACTED : m;
    });
  }
  return out;
}
