/**
 * The `confd agent` view of the shared Go flag parser ({@link parseGoFlagArgs}): flag values as
 * numbers and strings, with the flags in the order given (repeatable flags interleave).
 */
import { formatGoFlagDefaults, parseGoFlagArgs, type GoFlagSpec } from './go-flags.js';
import { parseGoInt as parseGoInteger } from '../go/strconv.js';

/** FlagSpec declares one flag. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'bool' | 'string' | 'int' | 'list';
  readonly usage: string;
  /** Shown in usage as the value placeholder. */
  readonly placeholder?: string;
}

/** FlagValues holds the flags given, by name; lists accumulate. Absent flags are absent. */
export type FlagValues = Map<string, boolean | string | number | string[]>;

/** ParsedFlags is a successful parse: values, the flags in order, and the remaining arguments. */
export interface ParsedFlags {
  readonly values: FlagValues;
  /** Each flag as it appeared, in order (lets repeatable flags of different names interleave). */
  readonly order: readonly { name: string; value: boolean | string | number }[];
  readonly rest: readonly string[];
}

/** FlagParseResult is a parse outcome: flags, a help request, or Go's error text. */
export type FlagParseResult =
  | ({ readonly ok: true } & ParsedFlags)
  | { readonly ok: false; readonly help: true }
  | { readonly ok: false; readonly help: false; readonly error: string };

/** parseGoInt is strconv.ParseInt(text, 0, 64) limited to safe integers; undefined otherwise. */
export function parseGoInt(text: string): number | undefined {
  const r = parseGoInteger(text, 64, true);
  if (!r.ok) return undefined;
  const n = Number(r.value);
  return Number.isSafeInteger(n) ? n : undefined;
}

function toGoSpec(s: FlagSpec): GoFlagSpec {
  const placeholder =
    s.kind === 'bool' ? '' : (s.placeholder ?? (s.kind === 'int' ? 'int' : 'string'));
  return { name: s.name, kind: s.kind, usage: s.usage, placeholder };
}

/** parseGoFlags parses `args` against `specs` with Go's flag rules. */
export function parseGoFlags(args: readonly string[], specs: readonly FlagSpec[]): FlagParseResult {
  const r = parseGoFlagArgs(args, specs.map(toGoSpec));
  if (r.kind === 'help') return { ok: false, help: true };
  if (r.kind === 'error') return { ok: false, help: false, error: r.message };
  const num = (v: boolean | string | bigint): boolean | string | number =>
    typeof v === 'bigint' ? Number(v) : v;
  for (const { name, value } of r.order) {
    // Our agent keeps integers as JS numbers: past 2^53 is out of range here.
    if (typeof value === 'bigint' && !Number.isSafeInteger(Number(value))) {
      return {
        ok: false,
        help: false,
        error: `invalid value ${JSON.stringify(String(value))} for flag -${name}: value out of range`,
      };
    }
  }
  const values: FlagValues = new Map();
  for (const [name, v] of r.values) values.set(name, Array.isArray(v) ? v : num(v));
  const order = r.order.map((o) => ({ name: o.name, value: num(o.value) }));
  return { ok: true, values, order, rest: r.args };
}

/** formatFlagUsage lists the flags as Go's PrintDefaults does (name, placeholder, indented usage). */
export function formatFlagUsage(specs: readonly FlagSpec[]): string {
  return formatGoFlagDefaults(specs.map(toGoSpec));
}
