/**
 * JSON output as Go's `encoding/json` writes it, which Consul clients and `consul kv export`
 * users observe: object keys in insertion (struct field) order, `bigint` printed exactly (uint64
 * flags), `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` etc. (Go's HTML-safe default), and
 * `MarshalIndent` layouts.
 */

// Go's HTML-safe escaping (encoding/json escapes these by default).
const goEscape = /[<>&\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what needs escaping
const needsEscape = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/** goJsonString quotes a string the way Go's encoding/json does. */
export function goJsonString(text: string): string {
  if (!needsEscape.test(text)) return `"${text}"`;
  return JSON.stringify(text).replace(
    goEscape,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function write(value: unknown, indent: string | undefined, depth: number): string {
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      const inner = indent === undefined ? '' : `\n${indent.repeat(depth + 1)}`;
      const outer = indent === undefined ? '' : `\n${indent.repeat(depth)}`;
      const colon = indent === undefined ? ':' : ': ';
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        const items = value.map((v) => inner + write(v, indent, depth + 1));
        return `[${items.join(',')}${outer}]`;
      }
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        parts.push(inner + goJsonString(k) + colon + write(v, indent, depth + 1));
      }
      if (parts.length === 0) return '{}';
      return `{${parts.join(',')}${outer}}`;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
  }
}

/** goJson serializes `value` compactly (no trailing newline) or, when pretty, 4-space indented + "\n". */
export function goJson(value: unknown, pretty = false): string {
  return pretty ? `${goJsonIndent(value, '    ')}\n` : write(value, undefined, 0);
}

/** goJsonIndent is Go's `json.MarshalIndent(value, "", indent)` (no trailing newline). */
export function goJsonIndent(value: unknown, indent: string): string {
  return write(value, indent, 0);
}
