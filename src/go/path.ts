/**
 * Go's `path` package for slash-separated keys: `Clean`, `Join`, `Base` and `Dir`. confd builds
 * keys with `path.Join("/", key)`, which drops a trailing `/` and collapses `//`; Node's
 * `path.posix.join` keeps the trailing slash, so the Go rules are written out here.
 */

/** pathClean is Go's `path.Clean`: the shortest equivalent path (`""` → `.`). */
export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** pathJoin is Go's `path.Join`: the non-empty elements joined with `/`, cleaned (`""` if none). */
export function pathJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : pathClean(parts.join('/'));
}

/** pathBase is Go's `path.Base`: the last element (`/a/b/` → `b`, `""` → `.`, `/` → `/`). */
export function pathBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** pathDir is Go's `path.Dir`: all but the last element, cleaned (`/a/b` → `/a`, `a` → `.`). */
export function pathDir(p: string): string {
  return pathClean(p.slice(0, p.lastIndexOf('/') + 1));
}
