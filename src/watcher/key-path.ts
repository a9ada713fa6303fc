/**
 * Key paths as confd computes them with Go's `path` package: `path.Join` cleans (collapses `//`,
 * resolves `.`/`..`, drops a trailing `/`), and prefix stripping is a plain string trim.
 */
import { posix } from 'node:path';

/** cleanKey is Go's path.Clean: `""` → `.`, trailing `/` removed except for the root. */
export function cleanKey(key: string): string {
  if (key === '') return '.';
  const normal = posix.normalize(key);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** joinKey is Go's path.Join: empty parts are skipped; all empty gives `""`. */
export function joinKey(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length === 0 ? '' : cleanKey(kept.join('/'));
}

/**
 * stripPrefix maps a backend key to the resource's template key as confd's setVars does:
 * `path.Join("/", strings.TrimPrefix(key, prefix))`. The trim is by characters, not segments, so
 * prefix `/app` turns `/application/x` into `/lication/x` (a confd quirk kept on purpose).
 */
export function stripPrefix(key: string, prefix: string): string {
  const trimmed = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return joinKey('/', trimmed);
}
