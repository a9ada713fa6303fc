/**
 * The `confd kv` (and discovery commands') view of the shared Go flag parser in `go-flags.ts`:
 * accessors by flag name, errors thrown as `CFD_ERR_CONFIG_FLAG`, and Consul's help layout for
 * the flag list, so `confd kv` prints what `consul kv` prints.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { parseGoInt } from '../go/strconv.js';
import { parseGoFlagArgs } from './go-flags.js';

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

/**
 * parseUint64 parses like Go's `strconv.ParseUint(s, 0, 64)`, as Go's flag package does for
 * `Uint64Var`: decimal, `0x`/`0o`/`0b` prefixes, a bare leading `0` for octal and `_` separators
 * as in Go integer literals (`1_0` is 10). Returns undefined when invalid.
 */
export function parseUint64(text: string): bigint | undefined {
  const r = parseGoInt(text, 64, false);
  return r.ok ? r.value : undefined;
}

/**
 * parseGoFlags parses `argv` against `specs` the way Go's `flag.FlagSet.Parse` does. Throws a
 * {@link ConfdError} with code `CFD_ERR_CONFIG_FLAG` and Go's message (`flag provided but not
 * defined: -x`, `flag needs an argument: -x`, `invalid value "v" for flag -x: parse error`, ...),
 * or {@link HelpRequested} for an undefined `-h`/`-help`.
 */
export function parseGoFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const goSpecs = Object.entries(specs).map(([name, spec]) => ({ name, ...spec }));
  const r = parseGoFlagArgs(argv, goSpecs);
  if (r.kind === 'help') throw new HelpRequested();
  if (r.kind === 'error') throw new ConfdError(ErrorCode.CONFIG_FLAG, r.message);
  const values = r.values;
  return {
    set: new Set(values.keys()),
    args: r.args,
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
