/**
 * Go's `filepath.Match` pattern syntax (as confd's -filter uses it): `*` any run of non-`/`
 * characters, `?` one non-`/` character, `[...]` a class with ranges and `^` negation, `\` escapes.
 */
import { ConfdError, ErrorCode } from '../errors.js';

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

function badPattern(pattern: string): ConfdError {
  return new ConfdError(
    ErrorCode.CONFIG_FLAG,
    `invalid -filter "${pattern}": syntax error in pattern`,
  );
}

/** compileGoGlob turns a Go match pattern into an anchored RegExp; bad patterns throw CONFIG_FLAG. */
export function compileGoGlob(pattern: string): RegExp {
  const chars = [...pattern];
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) throw badPattern(pattern);
      re += escapeRegex(next);
    } else if (c === '[') {
      i++;
      let negate = false;
      if (chars[i] === '^') {
        negate = true;
        i++;
      }
      let cls = '';
      let count = 0;
      for (;;) {
        let lo = chars[i];
        if (lo === undefined) throw badPattern(pattern);
        if (lo === ']' && count > 0) break;
        if (lo === '-' || lo === ']') throw badPattern(pattern);
        if (lo === '\\') {
          lo = chars[++i];
          if (lo === undefined) throw badPattern(pattern);
        }
        i++;
        let range = escapeRegex(lo);
        if (chars[i] === '-') {
          let hi = chars[++i];
          if (hi === undefined || hi === ']' || hi === '-') throw badPattern(pattern);
          if (hi === '\\') {
            hi = chars[++i];
            if (hi === undefined) throw badPattern(pattern);
          }
          i++;
          if (hi < lo) throw badPattern(pattern);
          range += `-${escapeRegex(hi)}`;
        }
        cls += range;
        count++;
      }
      re += negate ? `[^/${cls}]` : `[${cls}]`;
    } else re += escapeRegex(c);
  }
  return new RegExp(`^${re}$`, 'u');
}
