/**
 * confd's Consul key mapping, shared by the consul and embedded backends: a request key
 * `/database/host` is the Consul key `database/host`, and a returned Consul key `k` is served as
 * `path.Join("/", k)` (so the folder key `upstream/` becomes `/upstream`). Matching is Consul's plain
 * string prefix: `/database` also matches `database2`. Also the blocking-query index rules.
 */
import { pathJoin } from '../go/path.js';

/** consulKeyOf maps a confd key to the Consul KV key (or prefix) it is fetched as. */
export function consulKeyOf(key: string): string {
  return key.replace(/^\/+/, '');
}

/** confdKeyOf maps a Consul KV key to the key confd serves it under. */
export function confdKeyOf(consulKey: string): string {
  return pathJoin('/', consulKey);
}

/**
 * coveringPrefixes reduces confd keys to the distinct Consul prefixes that must be fetched: exact
 * duplicates go (confd's manykeys fixture repeats 4 keys 48 times), and so does any prefix that
 * another requested prefix already string-starts (its answer is a subset), sorted.
 */
export function coveringPrefixes(keys: readonly string[]): string[] {
  const sorted = [...new Set(keys.map(consulKeyOf))].sort();
  const out: string[] = [];
  for (const p of sorted) {
    // Sorted order puts a covering prefix before everything it covers.
    if (!out.some((q) => p.startsWith(q))) out.push(p);
  }
  return out;
}

/**
 * nextWaitIndex applies the blocking-query index rules (Consul's blocking docs, consul-template's
 * view.go) to the `X-Consul-Index` of an answer: a missing or 0 index is treated as 1 so the next
 * query blocks instead of spinning (confd would hot-loop, Consul issue #4437), and an index that
 * went backwards (snapshot restore, tombstone reaping) resets to 0 so the next query re-reads.
 */
export function nextWaitIndex(answerIndex: number, waitIndex: number): number {
  if (!Number.isSafeInteger(answerIndex) || answerIndex <= 0) return 1;
  return answerIndex < waitIndex ? 0 : answerIndex;
}
