/**
 * GoTime and GoDuration: Go's time.Time methods by Go's names, Go reference layouts, and Go's
 * String forms, with fixed zones so results do not depend on the machine's time zone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoDuration, GoTime } from '../../src/template/go-time.js';
import { goFormat } from '../../src/template/values.js';

const UTC = { name: 'UTC', offset: 0 };
const CET = { name: 'CET', offset: 3600 };
const NST = { name: '', offset: -(3 * 3600 + 30 * 60) };
const SECONDS = BigInt(Date.UTC(2026, 10, 25, 19, 47, 3) / 1000);
const NS = SECONDS * 1_000_000_000n + 675_652_638n;
const t = new GoTime(NS, UTC, false);

const layouts: [string, string][] = [
  ['2006-01-02T15:04:05Z07:00', '2026-11-25T19:47:03Z'],
  ['2006-01-02T15:04:05.999999999Z07:00', '2026-11-25T19:47:03.675652638Z'],
  ['Mon, 02 Jan 2006 15:04:05 MST', 'Wed, 25 Nov 2026 19:47:03 UTC'],
  ['Mon Jan _2 15:04:05 2006', 'Wed Nov 25 19:47:03 2026'],
  ['Monday January 2 2006', 'Wednesday November 25 2026'],
  ['3:04PM', '7:47PM'],
  ['03:04:05 pm', '07:47:03 pm'],
  ['15:04:05.000', '19:47:03.675'],
  ['15:04:05,000000', '19:47:03,675652'],
  ['05.999', '03.675'],
  ['06 1 2 3 4 5', '26 11 25 7 47 3'],
  ['002 __2', '329 329'],
  ['2006-01-02', '2026-11-25'],
  ['-0700 -07:00 -07 Z0700', '+0000 +00:00 +00 Z'],
  ['literal text: 20060102', 'literal text: 20261125'],
  // Not a fraction: a digit follows the zeros, so the trailing `01` is the month.
  ['.0001', '.0011'],
];

for (const [layout, want] of layouts) {
  test(`Format(${JSON.stringify(layout)})`, () => {
    assert.equal(t.Format(layout), want);
  });
}

test('zones: offsets and names in the output', () => {
  const cet = new GoTime(NS, CET, false);
  assert.equal(cet.Format('2006-01-02T15:04:05Z07:00'), '2026-11-25T20:47:03+01:00');
  assert.equal(cet.Format('-07:00:00 -070000 Z07 MST'), '+01:00:00 +010000 +01 CET');
  const nst = new GoTime(NS, NST, false);
  assert.equal(nst.Format('15:04 Z07:00 MST'), '16:17 -03:30 -0330');
  assert.equal(cet.UTC().Format('15:04 MST'), '19:47 UTC');
});

test('String is Go Time.String without the monotonic suffix', () => {
  assert.equal(t.String(), '2026-11-25 19:47:03.675652638 +0000 UTC');
  assert.equal(t[goFormat](), t.String());
  assert.equal(String(t), t.String());
  const whole = new GoTime(SECONDS * 1_000_000_000n, UTC, false);
  assert.equal(whole.String(), '2026-11-25 19:47:03 +0000 UTC');
  assert.equal(
    GoTime.fromMillis(Date.UTC(2026, 0, 2, 3, 4, 5, 60), UTC).String(),
    '2026-01-02 03:04:05.06 +0000 UTC',
  );
});

test('calendar and clock accessors', () => {
  assert.equal(t.Year(), 2026);
  assert.equal(t.Month().value, 11);
  assert.equal(String(t.Month()), 'November');
  assert.equal(t.Month()[goFormat](), 'November');
  assert.equal(t.Day(), 25);
  assert.equal(t.Hour(), 19);
  assert.equal(t.Minute(), 47);
  assert.equal(t.Second(), 3);
  assert.equal(t.Nanosecond(), 675_652_638);
  assert.equal(t.YearDay(), 329);
  assert.equal(String(t.Weekday()), 'Wednesday');
  assert.equal(t.Weekday().value, 3);
  assert.equal(t.Unix(), Number(SECONDS));
  assert.equal(t.UnixMilli(), Number(SECONDS) * 1000 + 675);
  assert.equal(t.UnixNano(), NS);
  assert.equal(t.Location(), 'UTC');
});

test('Add, Sub, AddDate and comparisons', () => {
  const later = t.Add(3_600_000_000_000);
  assert.equal(later.Format('15:04'), '20:47');
  assert.equal(later.Sub(t).String(), '1h0m0s');
  assert.equal(t.Sub(later).String(), '-1h0m0s');
  assert.equal(t.Add(new GoDuration(-60_000_000_000n)).Format('15:04'), '19:46');
  assert.ok(later.After(t));
  assert.ok(t.Before(later));
  assert.ok(t.Equal(new GoTime(NS, CET, false)));
  const oct31 = new GoTime(BigInt(Date.UTC(2026, 9, 31, 12) / 1000) * 1_000_000_000n, UTC, false);
  assert.equal(oct31.AddDate(0, 1, 0).Format('2006-01-02 15:04'), '2026-12-01 12:00');
  assert.equal(oct31.AddDate(1, 0, -30).Format('2006-01-02'), '2027-10-01');
  assert.throws(() => t.Add('1h'), {
    name: 'TemplateArgumentError',
    message: 'wrong type for value; expected time.Duration; got string',
  });
  assert.throws(() => t.Format(2006), {
    message: 'wrong type for value; expected string; got int',
  });
});

test('Duration.String matches Go', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [1_500_000n, '1.5ms'],
    [1_500_000_000n, '1.5s'],
    [90n * 60_000_000_000n, '1h30m0s'],
    [61_000_000_000n, '1m1s'],
    [-1_000_000_000n, '-1s'],
  ];
  for (const [ns, want] of cases) assert.equal(new GoDuration(ns).String(), want);
  assert.equal(new GoDuration(90n * 60_000_000_000n).Hours(), 1.5);
});

test('Local uses the process zone consistently with Date', () => {
  const local = t.Local();
  const offsetMin = -new Date(Number(SECONDS) * 1000).getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const want = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  assert.equal(local.Format('-0700'), want);
  assert.equal(local.Unix(), t.Unix());
});
