/**
 * Go's `path.Clean` / `path.Join` for slash-separated keys. confd builds returned keys with
 * `path.Join("/", key)`, which drops a trailing `/` and collapses `//`; Node's `path.posix.join`
 * keeps the trailing slash, so the Go rules are written out here.
 */

/** goPathClean returns the shortest equivalent of `p` by Go's `path.Clean` rules. */
export function goPathClean(p: string): string {
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

/** goPathJoin joins the non-empty elements with `/` and cleans the result, as Go's `path.Join`. */
export function goPathJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : goPathClean(parts.join('/'));
}
