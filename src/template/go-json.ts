/**
 * JSON decoding into Go-shaped values, as confd's `json` (`map[string]interface{}`) and
 * `jsonArray` (`[]interface{}`) produce them: numbers become {@link GoFloat}, objects plain
 * objects, arrays arrays, null `null`. Errors carry Go's `encoding/json` texts where they can.
 */
import { goJsonSyntaxError } from './go-json-scan.js';
import { GoFloat, compareGoStrings, typedList } from './values.js';

type Target = 'map[string]interface {}' | '[]interface {}';

/** decodeJSONObject is confd's `json`: a JSON object (or null → empty map). */
export function decodeJSONObject(data: string): Record<string, unknown> {
  const raw = parse(data);
  if (raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw mismatch(raw, 'map[string]interface {}');
  return toGo(raw) as Record<string, unknown>;
}

/** decodeJSONArray is confd's `jsonArray`: a JSON array (or null → empty list). */
export function decodeJSONArray(data: string): unknown[] {
  const raw = parse(data);
  if (raw === null) return typedList([], '[]interface {}');
  if (!Array.isArray(raw)) throw mismatch(raw, '[]interface {}');
  return toGo(raw) as unknown[];
}

function parse(data: string): unknown {
  const syntax = goJsonSyntaxError(data);
  if (syntax !== undefined) throw new Error(syntax);
  return JSON.parse(data) as unknown;
}

function mismatch(raw: unknown, target: Target): Error {
  const kind = Array.isArray(raw) ? 'array' : typeof raw === 'object' ? 'object' : typeof raw;
  const jsonKind = kind === 'boolean' ? 'bool' : kind;
  return new Error(`json: cannot unmarshal ${jsonKind} into Go value of type ${target}`);
}

function toGo(raw: unknown): unknown {
  if (raw === null) return null;
  if (typeof raw === 'number') return new GoFloat(raw);
  if (Array.isArray(raw)) return typedList(raw.map(toGo), '[]interface {}');
  if (typeof raw === 'object') {
    // Keys in Go's order (sorted), so handlebars' #each visits them as Go's range does. fromEntries
    // defines own properties, so a "__proto__" key stays an ordinary key.
    const entries = Object.entries(raw).sort(([a], [b]) => compareGoStrings(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, toGo(v)]));
  }
  return raw;
}
