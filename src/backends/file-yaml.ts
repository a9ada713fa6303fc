/**
 * Flattening of the file backend's YAML/JSON documents into confd keys, as confd's `nodeWalk`:
 * maps nest with `path.Join`, arrays use index segments (`/list/0`), strings are kept, integers
 * are printed in decimal, booleans as `true`/`false`, floats as Go's `FormatFloat('f', -1)`, and
 * nulls are skipped. YAML 1.1 rules apply (yaml.v2): `yes`/`no` are booleans, `0777` is octal,
 * timestamps stay strings.
 */
import { parseAllDocuments } from 'yaml';
import { ConfdError, ErrorCode } from '../errors.js';
import { formatFloat } from '../go/float.js';
import { pathJoin } from '../go/path.js';

function invalid(file: string, message: string): ConfdError {
  return new ConfdError(ErrorCode.BACKEND_RESPONSE, `${file}: ${message}`);
}

function describeKey(key: unknown): string {
  if (key === null) return 'null';
  if (typeof key === 'bigint' || typeof key === 'number' || typeof key === 'boolean') {
    return `${typeof key === 'bigint' ? 'integer' : typeof key} ${String(key)}`;
  }
  return typeof key;
}

function walk(node: unknown, key: string, vars: Map<string, string>, file: string): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, pathJoin(key, String(i)), vars, file));
  } else if (node instanceof Map) {
    for (const [k, v] of node as Map<unknown, unknown>) {
      // Upstream panics on a non-string key (`k.(string)`); we name the file and the key instead.
      if (typeof k !== 'string') {
        throw invalid(file, `map key ${describeKey(k)} under ${key} is not a string; quote it`);
      }
      walk(v, pathJoin(key, k), vars, file);
    }
  } else if (typeof node === 'string') {
    vars.set(key, node);
  } else if (typeof node === 'bigint') {
    vars.set(key, node.toString());
  } else if (typeof node === 'number') {
    vars.set(key, formatFloat(node, 'f', -1));
  } else if (typeof node === 'boolean') {
    vars.set(key, String(node));
  } else if (node instanceof Uint8Array) {
    vars.set(key, Buffer.from(node).toString()); // !!binary decodes to a string in yaml.v2
  }
  // null and anything else: skipped, as upstream's type switch does.
}

/**
 * flattenYaml parses one YAML (or JSON) file's text and adds its keys to `vars`; later files
 * overwrite earlier keys. Errors name the file and line.
 */
export function flattenYaml(text: string, file: string, vars: Map<string, string>): void {
  const docs = parseAllDocuments(text, {
    version: '1.1',
    intAsBigInt: true,
    // yaml.v2 leaves timestamp-looking scalars as strings when decoding into interface{}, and
    // has no base-60 numbers (`22:22` stays a string).
    customTags: (tags) =>
      tags.filter(
        (t) => typeof t === 'string' || (!t.tag.endsWith(':timestamp') && t.format !== 'TIME'),
      ),
  });
  // yaml.v2's Unmarshal reads the first document only.
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return;
  const error = doc.errors[0];
  if (error) {
    // The pretty message's first line ends with `at line L, column C:`.
    throw invalid(file, `yaml: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`);
  }
  const root: unknown = doc.toJS({ mapAsMap: true });
  if (root === null || root === undefined) return;
  if (!(root instanceof Map)) {
    const kind = Array.isArray(root) ? 'a sequence' : 'a scalar';
    throw invalid(file, `yaml: the document is ${kind}, expected a mapping at the top level`);
  }
  walk(root, '/', vars, file);
}
