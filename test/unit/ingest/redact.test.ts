import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REDACTED, redact } from '../../../src/ingest/redact.ts';

const R = REDACTED;

function expectRedacted(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [input, expected] of cases) assert.equal(redact(input), expected, JSON.stringify(input));
}

function expectUnchanged(cases: readonly string[]): void {
  for (const input of cases) assert.equal(redact(input), input, JSON.stringify(input));
}

describe('redact: e-mail addresses', () => {
  it('replaces addresses', () => {
    expectRedacted([
      ['contact alice@example.com now', `contact ${R} now`],
      ['alice.smith+ops@example.co.uk.', `${R}.`],
      ['<bob_o\'neil@mail.example.org>', `<${R}>`],
      ['mailto:ops-team@corp.internal', `mailto:${R}`],
      ['A@B.IO', R],
      ['Ünïcødé@bücher.de', R],
      ['555-123-4567@sms.example.com', R],
      ['first a@x.io then b@y.io', `first ${R} then ${R}`],
    ]);
  });

  it('leaves things that only look like addresses', () => {
    expectUnchanged(['pkg@1.2.3', '@scope/pkg@1.0.0', 'user@localhost', 'ping @oncall', 'a @ b.com', 'x@y']);
  });
});

describe('redact: phone numbers', () => {
  it('replaces the contract examples', () => {
    expectRedacted([
      ['call +44 20 7946 0958 now', `call ${R} now`],
      ['call (555) 123-4567', `call ${R}`],
      ['call 555-123-4567.', `call ${R}.`],
      ['call +1-202-555-0143', `call ${R}`],
    ]);
  });

  it('replaces other common formats', () => {
    expectRedacted([
      ['+1 (202) 555-0143', R],
      ['+44 (0)20 7946 0958', R],
      ['+442079460958', R],
      ['+1.202.555.0143', R],
      ['+33 1 23 45 67 89', R],
      ['+49 30 123456', R],
      ['tel:+1-202-555-0143', `tel:${R}`],
      ['555.123.4567', R],
      ['1-800-555-0199', R],
      ['1 (800) 555-0199', R],
      ['(555)123-4567', R],
      ['(020) 7946 0958', R],
      ['020 7946 0958', R],
      ['0161 496 0000', R],
      ['on-call: (555) 123-4567, backup 555-987-6543', `on-call: ${R}, backup ${R}`],
    ]);
  });

  it('leaves versions, dates, times, durations, codes and ids', () => {
    expectUnchanged([
      'version 1.2.3',
      'node v20.11.1',
      'redis 6.2.14',
      'upgrade 1.2.3-beta.4',
      'on 2026-03-01',
      'on 03/01/2026 and 01-02-2026',
      'between 2026-03-01T12:00:00+01:00 and 2026-03-01T12:00:00.123+0100',
      '2026-03-01 12:00:00 +0000',
      'at 12:30:45',
      'window 10:00-12:00',
      'took 1500 ms',
      'took 1500ms (p95 1234.5678 ms)',
      'error 503',
      'HTTP/1.1 503',
      'port 5432',
      'range 100-200',
      'delta +1500000',
      '+5 ms',
      '+1.5%',
      'up 99.95%',
      '3.14159',
      '1,234,567 rows',
      '$1,234.56',
      'ticket ABC-1234',
      'PR #12345',
      'build 2024.01.15',
      'iso week 2026-W09',
      'sizes 128 256 1024',
      'epoch 1709294400000',
      'order 5551234567',
      'uuid 123e4567-e89b-12d3-a456-426614174000',
      'run-555-123-4567',
      '/v1/users/555-123-4567',
      'card 1234-5678-9012',
      'sha 3f2a9b1',
    ]);
  });
});

describe('redact: IP addresses', () => {
  it('replaces IPv4', () => {
    expectRedacted([
      ['from 10.0.0.1', `from ${R}`],
      ['from 10.0.0.1.', `from ${R}.`],
      ['ip 10.0.0.1:8080', `ip ${R}:8080`],
      ['net 10.0.0.0/8', `net ${R}/8`],
      ['192.168.1.254,172.16.0.1', `${R},${R}`],
      ['255.255.255.255', R],
      ['0.0.0.0 bound', `${R} bound`],
      ['(8.8.8.8)', `(${R})`],
    ]);
  });

  it('replaces IPv6, including compressed, loopback, zone ids and embedded IPv4', () => {
    expectRedacted([
      ['peer 2001:db8::1 reset', `peer ${R} reset`],
      ['::1', R],
      ['on ::1.', `on ${R}.`],
      ['fe80::1%eth0 down', `${R} down`],
      ['::ffff:192.0.2.1', R],
      ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', R],
      ['2001:DB8::A', R],
      ['[2001:db8::1]:443', `[${R}]:443`],
      ['ip:2001:db8::1', `ip:${R}`],
      ['2001:db8::/32', `${R}/32`],
      ['fe80::', R],
    ]);
  });

  it('leaves versions, clock times, MACs and code', () => {
    expectUnchanged([
      'v1.2.3.4',
      '1.2.3.4.5',
      '256.1.1.1',
      '192.168.001.001',
      '10.0.0',
      'at 12:30:45',
      '12:30:45.123',
      'main.ts:12:34',
      'mac 00:1a:2b:3c:4d:5e',
      'std::vector<int>',
      'Foo::Bar::baz()',
      '::default',
      'a :: b',
      'separator ::',
      'ratio 3:2',
    ]);
  });
});

describe('redact: general properties', () => {
  it('keeps surrounding text and handles mixed content', () => {
    assert.equal(
      redact('Deploy 1.4.2 failed on 10.0.0.7 at 2026-03-01T12:00:00Z; paged alice@example.com and +1-202-555-0143 (took 1500 ms, error 503)'),
      `Deploy 1.4.2 failed on ${R} at 2026-03-01T12:00:00Z; paged ${R} and ${R} (took 1500 ms, error 503)`,
    );
  });

  it('returns the empty string and plain text unchanged', () => {
    assert.equal(redact(''), '');
    assert.equal(redact('Nightly ETL for billing'), 'Nightly ETL for billing');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.-+() @x%eth'.split('')), maxLength: 60 }), (s) => {
        const once = redact(s);
        assert.equal(redact(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  it('never touches text without digits, `@` or `:`', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const clean = s.replace(/[0-9@:]/g, '');
        assert.equal(redact(clean), clean);
      }),
      { numRuns: 500 },
    );
  });

  it('runs in linear time on adversarial input', () => {
    const started = performance.now();
    redact(`${'a'.repeat(5000)}@${'b.'.repeat(2000)}`);
    redact(':'.repeat(10000));
    redact('1-'.repeat(5000));
    redact('+1 '.repeat(5000));
    assert.ok(performance.now() - started < 1000);
  });
});
