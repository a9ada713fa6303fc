/**
 * Query-string handling as Go's `net/url`: `ParseQuery` (`+` is a space, repeated keys keep every
 * value, presence matters even without a value) and `Values.Encode` (sorted keys, `QueryEscape`),
 * which Consul echoes in its `Conflicting flags:` error.
 */
import { parseGoInt } from '../../go/strconv.js';

/** QueryParams maps each parameter name to its values in request order. */
export type QueryParams = Map<string, string[]>;

const emptyParams: QueryParams = new Map();

function decodeComponent(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** parseQuery parses a raw query string (without `?`); undefined when an escape is malformed. */
export function parseQuery(raw: string): QueryParams | undefined {
  if (raw === '') return emptyParams;
  const params: QueryParams = new Map();
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    // Go's ParseQuery rejects a semicolon in the query since Go 1.17.
    if (pair.includes(';')) return undefined;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    const list = params.get(key);
    if (list) list.push(value);
    else params.set(key, [value]);
  }
  return params;
}

/** queryEscape is Go's url.QueryEscape: only `A-Za-z0-9-_.~` stay literal, space becomes `+`. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}

/** encodeQuery is Go's url.Values.Encode: keys sorted, values in order, `k=v` joined by `&`. */
export function encodeQuery(params: QueryParams): string {
  const keys = [...params.keys()].sort();
  const parts: string[] = [];
  for (const key of keys) {
    for (const value of params.get(key) ?? []) {
      parts.push(`${queryEscape(key)}=${queryEscape(value)}`);
    }
  }
  return parts.join('&');
}

/** parseUint64 is Go's strconv.ParseUint(text, 10, 64) (Consul's `?index=`); undefined on error. */
export function parseUint64(text: string): bigint | undefined {
  const r = parseGoInt(text, 64, false, 10);
  return r.ok ? r.value : undefined;
}

/** goParseUintError renders the error text of Go's strconv.ParseUint for `text`. */
export function goParseUintError(text: string): string {
  const kind = /^\d+$/.test(text) ? 'value out of range' : 'invalid syntax';
  return `strconv.ParseUint: parsing ${JSON.stringify(text)}: ${kind}`;
}
