/**
 * Command-line parsing with the rules of Go's `flag` package, which Consul's commands use:
 * `-flag`, `--flag`, `-flag=value`, `-flag value` (not for booleans), parsing stops at the first
 * non-flag argument or `--`, and errors read like Go's (`flag provided but not defined: -x`).
 */

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

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** parseGoInt is strconv.ParseInt(text, 0, 64) for safe integers: decimal, 0x, 0o, 0b, `_`. */
export function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(
    text,
  );
  if (!m) return undefined;
  let body = m[2].replaceAll('_', '');
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  const n = Number(body);
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] === '-' ? -n : n;
}

/** parseGoFlags parses `args` against `specs` with Go's flag rules. */
export function parseGoFlags(args: readonly string[], specs: readonly FlagSpec[]): FlagParseResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: FlagValues = new Map();
  const order: { name: string; value: boolean | string | number }[] = [];
  let i = 0;
  while (i < args.length) {
    const s = args[i];
    if (s.length < 2 || s[0] !== '-') break;
    let minuses = 1;
    if (s[1] === '-') {
      minuses = 2;
      if (s.length === 2) {
        i++;
        break;
      }
    }
    let name = s.slice(minuses);
    if (name === '' || name[0] === '-' || name[0] === '=') {
      return { ok: false, help: false, error: `bad flag syntax: ${s}` };
    }
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = byName.get(name);
    if (!spec) {
      if (name === 'help' || name === 'h') return { ok: false, help: true };
      return { ok: false, help: false, error: `flag provided but not defined: -${name}` };
    }
    if (spec.kind === 'bool') {
      let b = true;
      if (value !== undefined) {
        if (trueWords.has(value)) b = true;
        else if (falseWords.has(value)) b = false;
        else {
          return {
            ok: false,
            help: false,
            error: `invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`,
          };
        }
      }
      values.set(name, b);
      order.push({ name, value: b });
      continue;
    }
    if (value === undefined) {
      if (i >= args.length) {
        return { ok: false, help: false, error: `flag needs an argument: -${name}` };
      }
      value = args[i++]!;
    }
    if (spec.kind === 'int') {
      const n = parseGoInt(value);
      if (n === undefined) {
        return {
          ok: false,
          help: false,
          error: `invalid value ${JSON.stringify(value)} for flag -${name}: parse error`,
        };
      }
      values.set(name, n);
      order.push({ name, value: n });
    } else if (spec.kind === 'list') {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(value);
      values.set(name, list);
      order.push({ name, value });
    } else {
      values.set(name, value);
      order.push({ name, value });
    }
  }
  return { ok: true, values, order, rest: args.slice(i) };
}

/** formatFlagUsage lists the flags as Go's PrintDefaults does (name, placeholder, indented usage). */
export function formatFlagUsage(specs: readonly FlagSpec[]): string {
  return [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const placeholder =
        s.kind === 'bool' ? '' : ` ${s.placeholder ?? (s.kind === 'int' ? 'int' : 'string')}`;
      return `  -${s.name}${placeholder}\n    \t${s.usage}\n`;
    })
    .join('');
}
