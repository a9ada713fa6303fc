/**
 * Go's `time.Time` and `time.Duration` for templates: `datetime` returns a {@link GoTime} whose
 * methods carry Go's names and Go's semantics (`Format` takes Go reference layouts such as
 * `2006-01-02T15:04:05Z07:00`). Times are nanoseconds since the Unix epoch (a bigint) plus a fixed
 * zone (name and offset) and whether the zone is UTC or the process's local zone.
 */
import { TemplateArgumentError } from './argument-error.js';
import { formatGoDuration } from '../go/duration.js';
import { goFormat } from './go-format.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
const LONG_DAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

/** GoZone is a fixed zone: its abbreviation (`UTC`, `CET`) and offset east of UTC in seconds. */
export interface GoZone {
  readonly name: string;
  readonly offset: number;
}

/** GoNamedInt is an integer Go type with a String method (`time.Month`, `time.Weekday`). */
export class GoNamedInt {
  readonly value: number;
  readonly #name: string;
  readonly #typeName: string;

  constructor(value: number, name: string, typeName: string) {
    this.value = value;
    this.#name = name;
    this.#typeName = typeName;
  }

  /** String is Go's String method (`November`, `Wednesday`). */
  String(): string {
    return this.#name;
  }

  /** goTypeName is the Go type, e.g. `time.Month`. */
  goTypeName(): string {
    return this.#typeName;
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return this.#name;
  }

  toJSON(): number {
    return this.value;
  }

  [goFormat](): string {
    return this.#name;
  }
}

/**
 * Locales whose short zone names together cover the common tzdata abbreviations (EST, CET, BST,
 * AEDT, IST, JST); each is asked only when the ones before it had no abbreviation.
 */
const ZONE_NAME_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'ja-JP'] as const;

/** localZoneAt is the process's local zone at an instant, from the JavaScript Date machinery. */
export function localZoneAt(ms: number): GoZone {
  const offset = -new Date(ms).getTimezoneOffset() * 60 || 0;
  for (const locale of ZONE_NAME_LOCALES) {
    const name = zoneNameIn(locale, ms);
    if (name !== undefined && /^[A-Z]{2,5}$/.test(name)) return { name, offset };
  }
  // Go prints a zone without an abbreviation by its offset (`-03`, `+0545`), as tzdata names it.
  return { name: numericZoneName(offset), offset };
}

function zoneNameIn(locale: string, ms: number): string | undefined {
  try {
    return new Intl.DateTimeFormat(locale, { timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value;
  } catch {
    return undefined;
  }
}

function numericZoneName(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = pad(Math.floor(abs / 3600), 2);
  const mm = Math.floor((abs % 3600) / 60);
  return mm === 0 ? `${sign}${hh}` : `${sign}${hh}${pad(mm, 2)}`;
}

/** GoDuration is Go's `time.Duration`: an int64 count of nanoseconds. */
export class GoDuration {
  readonly ns: bigint;

  constructor(ns: bigint) {
    this.ns = ns;
  }

  /** Nanoseconds is the duration as an integer count of nanoseconds. */
  Nanoseconds(): number | bigint {
    return intResult(this.ns);
  }

  /** Seconds is the duration as floating-point seconds. */
  Seconds(): number {
    return Number(this.ns) / 1e9;
  }

  /** Minutes is the duration as floating-point minutes. */
  Minutes(): number {
    return Number(this.ns) / 6e10;
  }

  /** Hours is the duration as floating-point hours. */
  Hours(): number {
    return Number(this.ns) / 3.6e12;
  }

  /** String is Go's Duration.String, e.g. `1h2m3.5s`, `1.5ms`, `0s`. */
  String(): string {
    return formatGoDuration(this.ns);
  }

  toString(): string {
    return this.String();
  }

  [goFormat](): string {
    return this.String();
  }
}

/** GoTime is Go's `time.Time` without a monotonic reading. */
export class GoTime {
  readonly #ns: bigint;
  readonly #zone: GoZone;
  readonly #local: boolean;

  /**
   * @param ns nanoseconds since the Unix epoch.
   * @param zone the fixed zone to display in; defaults to the local zone at that instant.
   * @param local whether the zone is the process's local zone (`Local()`), else UTC or fixed.
   */
  constructor(ns: bigint, zone?: GoZone, local = zone === undefined) {
    this.#ns = ns;
    this.#zone = zone ?? localZoneAt(Number(ns / NS_PER_MS));
    this.#local = local;
  }

  /** fromMillis builds a local-zone time from a JavaScript clock reading (ms, may be fractional). */
  static fromMillis(ms: number, zone?: GoZone): GoTime {
    const whole = Math.floor(ms);
    const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
    return new GoTime(ns, zone);
  }

  #wall(): Date {
    return new Date(Number(floorDiv(this.#ns, NS_PER_MS)) + this.#zone.offset * 1000);
  }

  /** Format renders the time with a Go reference layout (`Mon Jan 2 15:04:05 MST 2006`). */
  Format(layout: unknown): string {
    if (typeof layout !== 'string') throw wrongType('string', layout);
    return formatGoTime(layout, this.#fields());
  }

  /** String is Go's Time.String (`2006-01-02 15:04:05.999999999 -0700 MST`), with no `m=` part. */
  String(): string {
    return this.Format('2006-01-02 15:04:05.999999999 -0700 MST');
  }

  /** Unix is the number of seconds since the Unix epoch. */
  Unix(): number {
    return Number(floorDiv(this.#ns, NS_PER_S));
  }

  /** UnixMilli is the number of milliseconds since the Unix epoch. */
  UnixMilli(): number {
    return Number(floorDiv(this.#ns, NS_PER_MS));
  }

  /** UnixMicro is the number of microseconds since the Unix epoch. */
  UnixMicro(): number | bigint {
    return intResult(floorDiv(this.#ns, 1000n));
  }

  /** UnixNano is the number of nanoseconds since the Unix epoch (a bigint past 2^53). */
  UnixNano(): number | bigint {
    return intResult(this.#ns);
  }

  /** UTC is the same instant in UTC. */
  UTC(): GoTime {
    return new GoTime(this.#ns, { name: 'UTC', offset: 0 }, false);
  }

  /** Local is the same instant in the process's local zone. */
  Local(): GoTime {
    return new GoTime(this.#ns);
  }

  /** Year is the calendar year. */
  Year(): number {
    return this.#wall().getUTCFullYear();
  }

  /** Month is the month of the year; Go prints it by name (`November`). */
  Month(): GoNamedInt {
    const m = this.#wall().getUTCMonth();
    return new GoNamedInt(m + 1, LONG_MONTHS[m], 'time.Month');
  }

  /** Day is the day of the month. */
  Day(): number {
    return this.#wall().getUTCDate();
  }

  /** Hour is the hour within the day, 0 to 23. */
  Hour(): number {
    return this.#wall().getUTCHours();
  }

  /** Minute is the minute within the hour. */
  Minute(): number {
    return this.#wall().getUTCMinutes();
  }

  /** Second is the second within the minute. */
  Second(): number {
    return this.#wall().getUTCSeconds();
  }

  /** Nanosecond is the nanosecond within the second. */
  Nanosecond(): number {
    return Number(mod(this.#ns, NS_PER_S));
  }

  /** YearDay is the day of the year, 1 to 366. */
  YearDay(): number {
    return this.#fields().yday;
  }

  /** Weekday is the day of the week; Go prints it by name (`Wednesday`). */
  Weekday(): GoNamedInt {
    const d = this.#wall().getUTCDay();
    return new GoNamedInt(d, LONG_DAYS[d], 'time.Weekday');
  }

  /** Add is the time plus a duration (a GoDuration or an integer count of nanoseconds). */
  Add(d: unknown): GoTime {
    const ns = this.#ns + durationNs(d);
    return this.#local ? new GoTime(ns) : new GoTime(ns, this.#zone, false);
  }

  /** Sub is the duration `t - u`. */
  Sub(u: unknown): GoDuration {
    if (!(u instanceof GoTime)) throw wrongType('time.Time', u);
    return new GoDuration(this.#ns - u.#ns);
  }

  /** AddDate adds years, months and days, normalising like Go (Oct 31 + 1 month = Dec 1). */
  AddDate(years: unknown, months: unknown, days: unknown): GoTime {
    const w = this.#wall();
    const wallMs = Date.UTC(
      w.getUTCFullYear() + toInt(years),
      w.getUTCMonth() + toInt(months),
      w.getUTCDate() + toInt(days),
      w.getUTCHours(),
      w.getUTCMinutes(),
      w.getUTCSeconds(),
    );
    const subSecond = mod(this.#ns, NS_PER_S);
    if (!this.#local) {
      const ns = BigInt(wallMs - this.#zone.offset * 1000) * NS_PER_MS + subSecond;
      return new GoTime(ns, this.#zone, false);
    }
    // Local: find the offset in force at the new wall time (two passes settle DST edges).
    let offset = localZoneAt(wallMs).offset;
    offset = localZoneAt(wallMs - offset * 1000).offset;
    return new GoTime(BigInt(wallMs - offset * 1000) * NS_PER_MS + subSecond);
  }

  /** Before tells whether the time is before `u`. */
  Before(u: unknown): boolean {
    return u instanceof GoTime && this.#ns < u.#ns;
  }

  /** After tells whether the time is after `u`. */
  After(u: unknown): boolean {
    return u instanceof GoTime && this.#ns > u.#ns;
  }

  /** Equal tells whether the two times are the same instant. */
  Equal(u: unknown): boolean {
    return u instanceof GoTime && this.#ns === u.#ns;
  }

  /** IsZero is false: templates only ever see real clock readings. */
  IsZero(): boolean {
    return false;
  }

  /** Location is the zone's name (`UTC`, `Local`), as Go's `*time.Location` prints. */
  Location(): string {
    return this.#local ? 'Local' : this.#zone.name;
  }

  toString(): string {
    return this.String();
  }

  toJSON(): string {
    return this.Format('2006-01-02T15:04:05.999999999Z07:00');
  }

  [goFormat](): string {
    return this.String();
  }

  #fields(): TimeFields {
    const w = this.#wall();
    const year = w.getUTCFullYear();
    const start = Date.UTC(year, 0, 1);
    const dayMs = Date.UTC(year, w.getUTCMonth(), w.getUTCDate());
    return {
      year,
      month: w.getUTCMonth() + 1,
      day: w.getUTCDate(),
      yday: Math.round((dayMs - start) / 86_400_000) + 1,
      weekday: w.getUTCDay(),
      hour: w.getUTCHours(),
      minute: w.getUTCMinutes(),
      second: w.getUTCSeconds(),
      nanosecond: Number(mod(this.#ns, NS_PER_S)),
      zone: this.#zone,
    };
  }
}

interface TimeFields {
  year: number;
  month: number;
  day: number;
  yday: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
  zone: GoZone;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function mod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r < 0n ? r + b : r;
}

function intResult(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

function toInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw wrongType('int', v);
}

/** wrongType is Go's argument type error; the type names here cover what templates can pass. */
function wrongType(expected: string, v: unknown): TemplateArgumentError {
  if (v === null || v === undefined)
    return new TemplateArgumentError(`invalid value; expected ${expected}`);
  const got =
    typeof v === 'string'
      ? 'string'
      : typeof v === 'boolean'
        ? 'bool'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'int'
            : 'float64'
          : v instanceof GoTime
            ? 'time.Time'
            : v instanceof GoDuration
              ? 'time.Duration'
              : 'interface {}';
  return new TemplateArgumentError(`wrong type for value; expected ${expected}; got ${got}`);
}

function durationNs(d: unknown): bigint {
  if (d instanceof GoDuration) return d.ns;
  if (typeof d === 'bigint') return d;
  if (typeof d === 'number' && Number.isInteger(d)) return BigInt(d);
  throw wrongType('time.Duration', d);
}

function pad(n: number, width: number, fill = '0'): string {
  return String(n).padStart(width, fill);
}

/**
 * formatGoTime implements Go's `time.Format` layout language: the reference time is
 * `Mon Jan 2 15:04:05 MST 2006` (`01/02 03:04:05PM '06 -0700`); everything else is literal.
 */
function formatGoTime(layout: string, t: TimeFields): string {
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const rest = layout.slice(i);
    const chunk = formatChunk(rest, t);
    if (chunk === undefined) {
      out += layout[i];
      i += 1;
    } else {
      out += chunk.text;
      i += chunk.length;
    }
  }
  return out;
}

function formatChunk(s: string, t: TimeFields): { text: string; length: number } | undefined {
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  const c = s[0];
  switch (c) {
    case 'J':
      if (s.startsWith('January')) return { text: LONG_MONTHS[t.month - 1], length: 7 };
      if (s.startsWith('Jan')) return { text: LONG_MONTHS[t.month - 1].slice(0, 3), length: 3 };
      return undefined;
    case 'M':
      if (s.startsWith('Monday')) return { text: LONG_DAYS[t.weekday], length: 6 };
      if (s.startsWith('Mon')) return { text: LONG_DAYS[t.weekday].slice(0, 3), length: 3 };
      if (s.startsWith('MST')) return { text: zoneAbbrev(t.zone), length: 3 };
      return undefined;
    case '0':
      if (s.startsWith('002')) return { text: pad(t.yday, 3), length: 3 };
      switch (s[1]) {
        case '1':
          return { text: pad(t.month, 2), length: 2 };
        case '2':
          return { text: pad(t.day, 2), length: 2 };
        case '3':
          return { text: pad(hour12, 2), length: 2 };
        case '4':
          return { text: pad(t.minute, 2), length: 2 };
        case '5':
          return { text: pad(t.second, 2), length: 2 };
        case '6':
          return { text: pad(((t.year % 100) + 100) % 100, 2), length: 2 };
        default:
          return undefined;
      }
    case '1':
      if (s.startsWith('15')) return { text: pad(t.hour, 2), length: 2 };
      return { text: String(t.month), length: 1 };
    case '2':
      if (s.startsWith('2006')) return { text: pad(t.year, 4), length: 4 };
      return { text: String(t.day), length: 1 };
    case '_':
      if (s.startsWith('_2006')) return { text: `_${pad(t.year, 4)}`, length: 5 };
      if (s.startsWith('__2')) return { text: pad(t.yday, 3, ' '), length: 3 };
      if (s.startsWith('_2')) return { text: pad(t.day, 2, ' '), length: 2 };
      return undefined;
    case '3':
      return { text: String(hour12), length: 1 };
    case '4':
      return { text: String(t.minute), length: 1 };
    case '5':
      return { text: String(t.second), length: 1 };
    case 'P':
      if (s.startsWith('PM')) return { text: t.hour >= 12 ? 'PM' : 'AM', length: 2 };
      return undefined;
    case 'p':
      if (s.startsWith('pm')) return { text: t.hour >= 12 ? 'pm' : 'am', length: 2 };
      return undefined;
    case '-':
    case 'Z':
      return formatZoneChunk(s, t.zone.offset);
    case '.':
    case ',':
      return formatFraction(s, t.nanosecond);
    default:
      return undefined;
  }
}

const ZONE_LAYOUTS = [
  { suffix: '070000', colons: false, parts: 3 },
  { suffix: '07:00:00', colons: true, parts: 3 },
  { suffix: '0700', colons: false, parts: 2 },
  { suffix: '07:00', colons: true, parts: 2 },
  { suffix: '07', colons: false, parts: 1 },
] as const;

function formatZoneChunk(s: string, offset: number): { text: string; length: number } | undefined {
  const prefix = s[0];
  for (const z of ZONE_LAYOUTS) {
    if (!s.startsWith(prefix + z.suffix)) continue;
    const length = 1 + z.suffix.length;
    // The ISO 8601 forms (Z07:00) print a bare Z for UTC.
    if (prefix === 'Z' && offset === 0) return { text: 'Z', length };
    const abs = Math.abs(offset);
    const fields = [Math.floor(abs / 3600), Math.floor((abs % 3600) / 60), abs % 60]
      .slice(0, z.parts)
      .map((n) => pad(n, 2));
    return { text: (offset < 0 ? '-' : '+') + fields.join(z.colons ? ':' : ''), length };
  }
  return undefined;
}

function formatFraction(
  s: string,
  nanosecond: number,
): { text: string; length: number } | undefined {
  const digit = s[1];
  if (digit !== '0' && digit !== '9') return undefined;
  let j = 1;
  while (j < s.length && s[j] === digit) j += 1;
  // `.000` followed by another digit is not a fraction layout (Go's isDigit check).
  if (j < s.length && s[j] >= '0' && s[j] <= '9') return undefined;
  const n = Math.min(j - 1, 9);
  const digits = pad(nanosecond, 9).slice(0, n);
  if (digit === '0') return { text: s[0] + digits, length: j };
  const trimmed = digits.replace(/0+$/, '');
  return { text: trimmed === '' ? '' : s[0] + trimmed, length: j };
}

function zoneAbbrev(zone: GoZone): string {
  if (zone.name !== '') return zone.name;
  // Go's fallback for a zone without a name: -0700 style.
  const abs = Math.abs(zone.offset);
  return `${zone.offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}${pad(Math.floor((abs % 3600) / 60), 2)}`;
}
