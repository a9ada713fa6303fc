/**
 * Go's `path.Match` shell-pattern matcher (also `filepath.Match` on Unix), as memkv's
 * `gets`/`getvs` and the file backend's `-filter` use it: `*` matches any run of characters except
 * `/`, `?` one character except `/`, `[...]` a class (`[^...]` negated, `a-z` ranges), and `\\`
 * escapes the next character. A malformed pattern throws Go's error text.
 */

/** BAD_PATTERN is Go's `path.ErrBadPattern` text. */
export const BAD_PATTERN = 'syntax error in pattern';

/** pathMatch reports whether `name` matches the shell pattern, like Go's `path.Match`. */
export function pathMatch(pattern: string, name: string): boolean {
  return matchPattern(pattern, name, false);
}

/** PathPatternOptions tunes {@link compilePathPattern}. */
export interface PathPatternOptions {
  /**
   * Also reject a reversed class range such as `[z-a]`. Go accepts it (it never matches); the
   * file backend's `-filter` has always refused it, and keeps doing so.
   */
  rejectReversedRanges?: boolean | undefined;
}

/** PathPattern is a validated pattern, matched against names with `test`. */
export interface PathPattern {
  readonly source: string;
  test(name: string): boolean;
}

/**
 * compilePathPattern validates `pattern` up front (throwing an Error with {@link BAD_PATTERN} when
 * Go's `path.Match` would report `ErrBadPattern`) and returns a matcher for it.
 */
export function compilePathPattern(pattern: string, options: PathPatternOptions = {}): PathPattern {
  const strict = options.rejectReversedRanges === true;
  // Matching the empty name fails in every chunk, so Go's matcher checks the whole pattern.
  matchPattern(pattern, '', strict);
  return { source: pattern, test: (name) => matchPattern(pattern, name, strict) };
}

function matchPattern(pattern: string, name: string, strict: boolean): boolean {
  let pat = Array.from(pattern);
  let str = Array.from(name);
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) {
      // A trailing * matches the rest of the name unless it has a /.
      return !str.includes('/');
    }
    const first = matchChunk(chunk, str, strict);
    if (first !== undefined && (first.length === 0 || pat.length > 0)) {
      str = first;
      continue;
    }
    if (star) {
      // Try the chunk after skipping i+1 characters; * cannot skip a /.
      for (let i = 0; i < str.length && str[i] !== '/'; i += 1) {
        const t = matchChunk(chunk, str.slice(i + 1), strict);
        if (t !== undefined) {
          if (pat.length === 0 && t.length > 0) continue;
          str = t;
          continue outer;
        }
      }
    }
    // Before answering false, check the rest of the pattern is well formed (as Go does).
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, [], strict);
    }
    return false;
  }
  return str.length === 0;
}

function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  let p = pattern;
  while (p.length > 0 && p[0] === '*') {
    p = p.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < p.length; i += 1) {
    switch (p[i]) {
      case '\\':
        if (i + 1 < p.length) i += 1;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
        break;
      default:
        break;
    }
  }
  return { star, chunk: p.slice(0, i), rest: p.slice(i) };
}

/** matchChunk matches a star-free chunk at the start of `s`; the rest of `s`, or undefined. */
function matchChunk(chunkIn: string[], sIn: string[], strict: boolean): string[] | undefined {
  let chunk = chunkIn;
  let s = sIn;
  // After a mismatch Go keeps scanning the chunk, only to validate its syntax.
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0];
    if (c === '[') {
      let r = '';
      if (!failed) {
        r = s[0]!;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk.length > 0 && chunk[0] === '^') {
        negated = true;
        chunk = chunk.slice(1);
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === ']' && nrange > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = getEsc(chunk);
        chunk = lo.rest;
        let hi = lo.char;
        if (chunk[0] === '-') {
          const h = getEsc(chunk.slice(1));
          chunk = h.rest;
          hi = h.char;
        }
        const cp = r.codePointAt(0) ?? -1;
        const loCp = lo.char.codePointAt(0) ?? 0;
        const hiCp = hi.codePointAt(0) ?? 0;
        if (strict && hiCp < loCp) throw new Error(BAD_PATTERN);
        if (loCp <= cp && cp <= hiCp) match = true;
        nrange += 1;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[0] === '/') failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    } else {
      if (c === '\\') {
        chunk = chunk.slice(1);
        if (chunk.length === 0) throw new Error(BAD_PATTERN);
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    }
  }
  return failed ? undefined : s;
}

function getEsc(chunkIn: string[]): { char: string; rest: string[] } {
  let chunk = chunkIn;
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') throw new Error(BAD_PATTERN);
  if (chunk[0] === '\\') {
    chunk = chunk.slice(1);
    if (chunk.length === 0) throw new Error(BAD_PATTERN);
  }
  const char = chunk[0];
  const rest = chunk.slice(1);
  if (rest.length === 0) throw new Error(BAD_PATTERN);
  return { char, rest };
}
