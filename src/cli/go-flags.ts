/**
 * The one parser for Go `flag`-package command lines, used by `confd`, `confd kv` and `confd agent`:
 * `-flag v`, `-flag=v`, `--flag`, bare booleans (`-flag=false` to clear), parsing stops at the first
 * non-flag argument, at `-` or after `--`, and error texts are Go's (`flag provided but not defined:
 * -x`, `invalid value "x" for flag -n: parse error`).
 */
import { parseGoDuration } from '../go/duration.js';
import { parseGoBool, parseGoInt } from '../go/strconv.js';

/** GoFlagKind is the Go type of a flag; `list` is a repeatable flag.Value, `value` a custom one. */
export type GoFlagKind = 'bool' | 'string' | 'int' | 'uint64' | 'duration' | 'list' | 'value';

/** GoFlagSpec declares one flag. */
export interface GoFlagSpec {
  readonly name: string;
  readonly kind: GoFlagKind;
  readonly usage: string;
  /** The default as Go's usage prints it after `(default ...)`; omitted for zero values. */
  readonly default?: string;
  /** The value placeholder in usage; Go's type name for the kind when omitted. */
  readonly placeholder?: string;
  /** For `value` flags: whether the text is acceptable (Go's flag.Value.Set error otherwise). */
  readonly validate?: (text: string) => boolean;
}

/** GoFlagValue is a parsed flag value: int/uint64 as bigint, lists accumulate. */
export type GoFlagValue = boolean | string | bigint | string[];

/** GoFlagResult is a parse outcome: flags and remaining arguments, a help request, or Go's error. */
export type GoFlagResult =
  | {
      readonly kind: 'ok';
      /** The flags given, by name (absent flags are absent). */
      readonly values: ReadonlyMap<string, GoFlagValue>;
      /** Each flag as it appeared, in order. */
      readonly order: readonly { name: string; value: boolean | string | bigint }[];
      /** Positional arguments left after the flags. */
      readonly args: string[];
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

const goTypeName: Record<GoFlagKind, string> = {
  bool: '',
  string: 'string',
  int: 'int',
  uint64: 'uint',
  duration: 'duration',
  list: 'value',
  value: 'value',
};

/**
 * parseGoFlagArgs parses `argv` against `specs` as Go's `flag.FlagSet.Parse` does (ContinueOnError);
 * an undefined `-h`/`-help` is a help request.
 */
export function parseGoFlagArgs(
  argv: readonly string[],
  specs: readonly GoFlagSpec[],
): GoFlagResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, GoFlagValue>();
  const order: { name: string; value: boolean | string | bigint }[] = [];
  const error = (message: string): GoFlagResult => ({ kind: 'error', message });
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? '';
    if (arg.length < 2 || arg[0] !== '-') break;
    let dashes = 1;
    if (arg[1] === '-') {
      dashes = 2;
      if (arg.length === 2) {
        i++; // "--" terminates the flags
        break;
      }
    }
    let name = arg.slice(dashes);
    if (name === '' || name[0] === '-' || name[0] === '=') return error(`bad flag syntax: ${arg}`);
    i++;
    let text: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      text = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = byName.get(name);
    if (!spec) {
      if (name === 'h' || name === 'help') return { kind: 'help' };
      return error(`flag provided but not defined: -${name}`);
    }
    if (spec.kind === 'bool') {
      const b = text === undefined ? true : parseGoBool(text);
      if (b === undefined) {
        return error(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
      }
      values.set(name, b);
      order.push({ name, value: b });
      continue;
    }
    if (text === undefined) {
      if (i >= argv.length) return error(`flag needs an argument: -${name}`);
      text = argv[i++] ?? '';
    }
    const invalid = (why = 'parse error'): GoFlagResult =>
      error(`invalid value ${JSON.stringify(text)} for flag -${name}: ${why}`);
    let value: boolean | string | bigint = text;
    switch (spec.kind) {
      case 'string':
        break;
      case 'int':
      case 'uint64': {
        // Go's flag package parses integers with base 0 (strconv.ParseInt/ParseUint(s, 0, 64)).
        const n = parseGoInt(text, 64, spec.kind === 'int');
        if (!n.ok) return invalid(n.error === 'value out of range' ? n.error : 'parse error');
        value = n.value;
        break;
      }
      case 'duration':
        if (parseGoDuration(text) === undefined) return invalid();
        break;
      case 'value':
        if (spec.validate && !spec.validate(text)) return invalid();
        break;
      case 'list': {
        if (spec.validate && !spec.validate(text)) return invalid();
        const list = values.get(name);
        if (Array.isArray(list)) list.push(text);
        else values.set(name, [text]);
        order.push({ name, value: text });
        continue;
      }
    }
    values.set(name, value);
    order.push({ name, value });
  }
  return { kind: 'ok', values, order, args: argv.slice(i) };
}

/**
 * formatGoFlagDefaults renders the flag list as Go's `flag.PrintDefaults` does, sorted by name:
 * `  -name type` then `\n    \t` and the usage with ` (default x)`; a one-letter name without a
 * type keeps the usage on its line after a tab. Ends with a newline.
 */
export function formatGoFlagDefaults(specs: readonly GoFlagSpec[]): string {
  return [...specs]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((spec) => {
      const type = spec.placeholder ?? goTypeName[spec.kind];
      let line = `  -${spec.name}${type ? ` ${type}` : ''}`;
      line += line.length <= 4 ? '\t' : '\n    \t';
      line += spec.usage;
      if (spec.default !== undefined) line += ` (default ${spec.default})`;
      return `${line}\n`;
    })
    .join('');
}
