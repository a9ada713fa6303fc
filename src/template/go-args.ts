/**
 * Argument checks that Go's text/template performs before calling a function, reproduced for the
 * JavaScript function library: arity (`wrong number of args for add: want 2 got 1`) and parameter
 * types (`wrong type for value; expected int; got string`). They throw
 * {@link TemplateArgumentError}, which engines report without the `error calling` prefix.
 */
import { GoFloat, KVPair, TemplateArgumentError, goTypeName } from './values.js';

/** checkArity throws Go's arity error unless `args` has `want` entries (or more when variadic). */
export function checkArity(name: string, args: readonly unknown[], want: number, variadic = false) {
  if (variadic ? args.length < want : args.length !== want) {
    const what = variadic ? `at least ${want}` : String(want);
    throw new TemplateArgumentError(
      `wrong number of args for ${name}: want ${what} got ${args.length}`,
    );
  }
}

function wrongType(expected: string, value: unknown): TemplateArgumentError {
  if (value === null || value === undefined) {
    return new TemplateArgumentError(`invalid value; expected ${expected}`);
  }
  return new TemplateArgumentError(
    `wrong type for value; expected ${expected}; got ${goTypeName(value)}`,
  );
}

/** asString is a Go `string` parameter. */
export function asString(value: unknown): string {
  if (typeof value === 'string') return value;
  throw wrongType('string', value);
}

/**
 * asInt is a Go `int` parameter. An integral {@link GoFloat} is accepted too (Go would reject a
 * float64; accepting it lets handlebars templates do arithmetic on JSON numbers).
 */
export function asInt(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof GoFloat && Number.isInteger(value.value)) return value.value;
  throw wrongType('int', value);
}

/** asInt64 is a Go `int` parameter as an exact bigint (for 64-bit arithmetic). */
export function asInt64(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  return BigInt(asInt(value));
}

/** asStringList is a Go `[]string` parameter. */
export function asStringList(value: unknown): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw wrongType('[]string', value);
}

/** asKVList is a Go `[]memkv.KVPair` parameter. */
export function asKVList(value: unknown): KVPair[] {
  if (Array.isArray(value) && value.every((v) => v instanceof KVPair)) return value;
  throw wrongType('[]memkv.KVPair', value);
}
