/**
 * A parser for Go `flag`-package command lines, as the `consul kv` commands use them: `-flag v`,
 * `-flag=v`, `--flag`, bare booleans (`-flag=false` to clear), and parsing stops at the first
 * positional argument, at `-` or after `--`. Error texts are Go's, so `confd kv` prints what
 * `consul kv` prints.
 */
import { ConfdError, ErrorCode } from '../errors.js';

/** FlagKind is the Go type of a flag: `BoolVar`, `StringVar` or `Uint64Var`. */
export type FlagKind = 'bool' | 'string' | 'uint64';

/** FlagSpec describes one flag a command accepts. */
export interface FlagSpec {
  readonly kind: FlagKind;
  readonly usage: string;
  /** The default shown in help and returned when the flag is not given. */
  readonly default?: string;
}

/** FlagSpecs maps flag names (without the dash) to their spec. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** ParsedFlags is the result of {@link parseGoFlags}. */
export interface ParsedFlags {
  /** Flags given on the command line, by name. */
  readonly set: ReadonlySet<string>;
  /** Positional arguments left after the flags. */
  readonly args: readonly string[];
  /** bool reads a boolean flag (false when absent). */
  bool(name: string): boolean;
  /** string reads a string flag (its default, else '', when absent). */
  string(name: string): string;
  /** uint64 reads an unsigned flag (its default, else 0n, when absent). */
  uint64(name: string): bigint;
}

/** HelpRequested is thrown by {@link parseGoFlags} for `-h`, `-help` and `--help`. */
export class HelpRequested extends Error {
  constructor() {
    super('flag: help requested');
    this.name = 'HelpRequested';
  }
}

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * parseUint64 parses like Go's `strconv.ParseUint(s, 0, 64)`: decimal, `0x`/`0o`/`0b` prefixes,
 * a bare leading `0` for octal, and `_` separators only with a prefix. Returns undefined when invalid.
 */
export function parseUint64(text: string): bigint | undefined {
  let digits = text;
  let base = 10;
  const lower = text.toLowerCase();
  if (lower.startsWith('0x')) [base, digits] = [16, text.slice(2)];
  else if (lower.startsWith('0o')) [base, digits] = [8, text.slice(2)];
  else if (lower.startsWith('0b')) [base, digits] = [2, text.slice(2)];
  else if (text.length > 1 && text.startsWith('0')) [base, digits] = [8, text.slice(1)];
  if (base !== 10) {
    // Go allows underscores in prefixed literals only between digits or right after the prefix.
    if (/__|_$/.test(digits)) return undefined;
    digits = digits.replaceAll('_', '');
  }
  const alphabet = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base];
  if (digits === '' || !alphabet?.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base] ?? '';
  const value = BigInt(prefix + digits);
  return value > MAX_UINT64 ? undefined : value;
}

/** parseGoBool parses like Go's `strconv.ParseBool`. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function flagError(message: string): ConfdError {
  return new ConfdError(ErrorCode.CONFIG_FLAG, message);
}

/**
 * parseGoFlags parses `argv` against `specs` the way Go's `flag.FlagSet.Parse` does. Throws a
 * {@link ConfdError} with code `CFD_ERR_CONFIG_FLAG` and Go's message (`flag provided but not
 * defined: -x`, `flag needs an argument: -x`, `invalid value "v" for flag -x: parse error`, ...),
 * or {@link HelpRequested} for an undefined `-h`/`-help`.
 */
export function parseGoFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const values = new Map<string, string | boolean | bigint>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || !arg.startsWith('-')) break;
    let body = arg.slice(1);
    if (body.startsWith('-')) {
      body = body.slice(1);
      if (body === '') {
        i++; // "--" terminates the flags
        break;
      }
    }
    if (body === '' || body.startsWith('-') || body.startsWith('=')) {
      throw flagError(`bad flag syntax: ${arg}`);
    }
    i++;
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      if (name === 'h' || name === 'help') throw new HelpRequested();
      throw flagError(`flag provided but not defined: -${name}`);
    }
    if (spec.kind === 'bool') {
      if (inline === undefined) {
        values.set(name, true);
        continue;
      }
      const parsed = parseGoBool(inline);
      if (parsed === undefined) {
        throw flagError(`invalid boolean value ${goQuote(inline)} for -${name}: parse error`);
      }
      values.set(name, parsed);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      if (i >= argv.length) throw flagError(`flag needs an argument: -${name}`);
      text = argv[i++];
    }
    if (spec.kind === 'uint64') {
      const parsed = parseUint64(text);
      if (parsed === undefined) {
        const why = /^[0-9]+$/.test(text) ? 'value out of range' : 'parse error';
        throw flagError(`invalid value ${goQuote(text)} for flag -${name}: ${why}`);
      }
      values.set(name, parsed);
    } else {
      values.set(name, text);
    }
  }
  const args = argv.slice(i);
  return {
    set: new Set(values.keys()),
    args,
    bool: (name) => values.get(name) === true,
    string: (name) => {
      const v = values.get(name);
      return typeof v === 'string' ? v : (specs[name]?.default ?? '');
    },
    uint64: (name) => {
      const v = values.get(name);
      return typeof v === 'bigint' ? v : BigInt(specs[name]?.default ?? '0');
    },
  };
}

/** goQuote renders a string as Go's `%q` does for printable text. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** formatFlagDefaults renders the flag list for help output, like Go's `PrintDefaults`. */
export function formatFlagDefaults(specs: FlagSpecs): string {
  const lines: string[] = [];
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name];
    const kindWord = spec.kind === 'bool' ? '' : spec.kind === 'uint64' ? ' <uint>' : ' <string>';
    lines.push(`  -${name}${kindWord}`);
    let usage = spec.usage;
    if (spec.default !== undefined && spec.default !== '' && spec.default !== '0') {
      usage += ` The default value is ${goQuote(spec.default)}.`;
    }
    lines.push(...wrap(usage, 72).map((l) => `     ${l}`));
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(line);
  return out;
}
