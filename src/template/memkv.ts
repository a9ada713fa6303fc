/**
 * memkv is confd's in-memory view of a resource's keys (kelseyhightower/memkv v0.1.1 semantics),
 * built from a {@link KeyValueSnapshot}. It backs the template functions `get getv getvs gets
 * exists ls lsdir`. Failures throw Errors with memkv's exact texts.
 */
import { pathBase, pathClean, pathDir } from '../go/path.js';
import { pathMatch } from '../go/path-match.js';
import type { KeyValueSnapshot } from './types.js';
import { KVPair, compareGoStrings, typedList } from './values.js';

/** keyMissingMessage is memkv's KeyError text: `key does not exist: /x`. */
export function keyMissingMessage(key: string): string {
  return `key does not exist: ${key}`;
}

/** KeyMissingError is memkv's KeyError; the message is exactly `key does not exist: <key>`. */
export class KeyMissingError extends Error {
  readonly key: string;

  constructor(key: string) {
    super(keyMissingMessage(key));
    this.name = 'KeyMissingError';
    this.key = key;
  }
}

/** MemKV is a read-only memkv store over one snapshot. */
export class MemKV {
  readonly #keys: KeyValueSnapshot;

  constructor(keys: KeyValueSnapshot) {
    this.#keys = keys;
  }

  /** get is the exact key's pair; throws {@link KeyMissingError} when the key is absent. */
  get(key: string): KVPair {
    const value = this.#keys.get(key);
    if (value === undefined) throw new KeyMissingError(key);
    return new KVPair(key, value);
  }

  /** getValue is the exact key's value, or `fallback` (even `''`) when given and the key is absent. */
  getValue(key: string, fallback?: string): string {
    const value = this.#keys.get(key);
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new KeyMissingError(key);
  }

  /** getAll is every pair whose key matches the Go `path.Match` pattern, sorted by key. */
  getAll(pattern: string): KVPair[] {
    const out: KVPair[] = [];
    for (const [key, value] of this.#keys) {
      if (pathMatch(pattern, key)) out.push(new KVPair(key, value));
    }
    return typedList(
      out.sort((a, b) => compareGoStrings(a.Key, b.Key)),
      'memkv.KVPairs',
    );
  }

  /** getAllValues is the values of {@link getAll}'s matches, sorted by VALUE (memkv quirk). */
  getAllValues(pattern: string): string[] {
    const values = this.getAll(pattern).map((kv) => kv.Value);
    return typedList(values.sort(compareGoStrings), '[]string');
  }

  /** exists tells whether the exact key exists ("directories" are not keys). */
  exists(key: string): boolean {
    return this.#keys.has(key);
  }

  /**
   * list is the sorted, unique names directly under `path` (leaves and directories); for a leaf
   * key it is the leaf's own name.
   */
  list(path: string): string[] {
    const names = new Set<string>();
    const prefix = pathToTerms(path);
    for (const key of this.#keys.keys()) {
      if (key === path) {
        names.add(pathBase(key));
        continue;
      }
      if (startsWithTerms(pathToTerms(pathDir(key)), prefix)) {
        names.add(stripKey(key, path).split('/')[0]);
      }
    }
    return typedList([...names].sort(compareGoStrings), '[]string');
  }

  /** listDir is the sorted, unique names directly under `path` that have children themselves. */
  listDir(path: string): string[] {
    const names = new Set<string>();
    const prefix = pathToTerms(path);
    for (const key of this.#keys.keys()) {
      if (!key.startsWith(path)) continue;
      const items = pathToTerms(pathDir(key));
      if (startsWithTerms(items, prefix) && items.length - prefix.length >= 1) {
        names.add(items[prefix.length]);
      }
    }
    return typedList([...names].sort(compareGoStrings), '[]string');
  }
}

/** pathToTerms splits a cleaned path into its terms: `/a/b` → `['', 'a', 'b']`. */
function pathToTerms(path: string): string[] {
  // memkv splits "/" into ["", ""], a term no key has, so `ls "/"` and `lsdir "/"` were always
  // empty (confd issue #725). We fix it: the root is [""], the first term of every rooted key.
  const clean = pathClean(path);
  return clean === '/' ? [''] : clean.split('/');
}

function startsWithTerms(test: string[], prefix: string[]): boolean {
  if (test.length < prefix.length) return false;
  return prefix.every((term, i) => test[i] === term);
}

function stripKey(key: string, prefix: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return rest.startsWith('/') ? rest.slice(1) : rest;
}
