/**
 * redact() skips the passes that cannot match (a scan for digits and separators first). This
 * checks that the result is byte-identical to the redaction before that change, kept verbatim
 * below as the reference, on random and adversarial strings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { REDACTED, redact } from '../../../src/ingest/redact.ts';

const R = REDACTED;

// ---- reference: src/ingest/redact.ts before the pre-checks (verbatim apart from names) ----
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
function redactReference(text: string): string {
  // Every pattern needs a digit, `@` or `:`; most names and titles are done after this test.
  if (!/[\d@:]/.test(text)) return text;
  let out = text.includes('@') ? text.replace(EMAIL, R) : text;
  if (out.includes(':')) out = out.replace(IPV6_CANDIDATE, (m) => (isRedactableIpv6(m) ? R : m));
  out = out.replace(IPV4, R);
  out = out.replace(PHONE_PATTERNS[0], (m) => (isPlausibleInternational(m) ? R : m));
  out = out.replace(PHONE_PATTERNS[1], R);
  out = out.replace(PHONE_PATTERNS[2], R);
  out = out.replace(PHONE_PATTERNS[3], (m) => {
    const digits = digitCount(m);
    return digits >= 10 && digits <= 11 ? R : m;
  });
  return out;
}

// ---- end of reference ----

const same = (s: string) => assert.equal(redact(s), redactReference(s), JSON.stringify(s));

/** Characters every pattern cares about, plus a few that do not matter. */
const ALPHABET = [...'0123456789', ...'0123456789', '.', '.', '-', '-', ' ', ' ', '+', '(', ')', '@', ':', ':', '%', '_', '/', "'",
  'a', 'b', 'c', 'd', 'e', 'f', 'A', 'F', 'x', 'z', 'é', 'ü', '\n', '\t', '[', ']', ',', '1', '0'];
const token = fc.oneof(
  fc.constantFrom(...ALPHABET),
  fc.integer({ min: 0, max: 999 }).map(String),
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
  fc.constantFrom('::', '%eth0', '+44', '+1', '(555)', '(0)', '555-123-4567', '020 7946 0958', '192.168.0.1', '10.0.0.', 'a@b.io',
    'user@host.example.com', '2001:db8::1', '::ffff:1.2.3.4', 'v1.2.3', '12:30:45.5', 'std::vector', R, '1-800-', '.com'),
);
const adversarial = fc.array(token, { maxLength: 40 }).map((parts) => parts.join(''));
const sep = fc.constantFrom(' ', '-', '.', '', ' - ', ', ');
const phoneLike = fc
  .tuple(fc.constantFrom('', '+', '+1 ', '1-', '(', '0'), fc.array(fc.integer({ min: 0, max: 99999 }).map(String), { minLength: 1, maxLength: 6 }), sep)
  .map(([prefix, groups, s]) => prefix + groups.join(s));
const digitsOf = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const parenPhone = fc
  .tuple(fc.constantFrom('', '1', '1 ', '1-'), digitsOf(1, 6), sep, digitsOf(2, 5), sep, digitsOf(3, 5))
  .map(([p, a, s1, b, s2, c]) => `${p}(${a})${s1}${b}${s2}${c}`);
const ipLike = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 300 }).map(String), { minLength: 2, maxLength: 6 }), fc.constantFrom('.', ':', '::'))
  .map(([octets, s]) => octets.join(s));
const inText = (arb: fc.Arbitrary<string>) =>
  fc.tuple(fc.string({ maxLength: 8 }), arb, fc.string({ maxLength: 8 }), sep).map(([a, x, b, s]) => a + s + x + s + b);

describe('redact: pre-checks keep the result of every pass', () => {
  it('equals the reference on the unit tests\' kind of input', () => {
    for (const s of [
      '', 'deploy api pipeline', 'high latency spike on svc-03', 'contact alice@example.com now', 'call +44 20 7946 0958 now',
      'call (555) 123-4567', 'call 555-123-4567.', 'ip 10.0.0.1:8080', '2001:db8::1', 'fe80::1%eth0', '020 7946 0958', '+15005550006',
      '+1500000', '1.2.3.4.5', 'v1.2.3.4', '12:30:45', '5551234567', '555.123.4567', '1 (800) 555-0199', '0161 496 0000',
      '555-123-4567@sms.example.com', '(55) 123 4567', '1.2.3.4', 'at 0.0.0.0.', '1 (20) 794-6095', '::', 'a::b', R, `${R} 10.0.0.1`,
    ]) same(s);
  });

  it('equals the reference on random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => same(s)), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => same(s)), { numRuns: 2000 });
  });

  it('equals the reference on adversarial strings', () => {
    fc.assert(fc.property(adversarial, (s) => same(s)), { numRuns: 20000 });
    fc.assert(fc.property(inText(phoneLike), (s) => same(s)), { numRuns: 10000 });
    fc.assert(fc.property(inText(ipLike), (s) => same(s)), { numRuns: 10000 });
    fc.assert(fc.property(inText(parenPhone), (s) => same(s)), { numRuns: 10000 });
  });
});
