/**
 * Go's `path` package functions for slash-separated paths: `Clean`, `Base` and `Dir`, which the
 * template functions `base`/`dir` and memkv's `ls`/`lsdir` use.
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
