/**
 * The file backend's `-filter` glob: Go's `filepath.Match` syntax, matched by the shared
 * `src/go/path-match.ts` matcher; a malformed pattern is a CONFIG_FLAG error naming it.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { compilePathPattern, type PathPattern } from '../go/path-match.js';

/** compileGoGlob validates a -filter pattern and returns its matcher; bad patterns throw CONFIG_FLAG. */
export function compileGoGlob(pattern: string): PathPattern {
  try {
    return compilePathPattern(pattern, { rejectReversedRanges: true });
  } catch (cause) {
    throw new ConfdError(
      ErrorCode.CONFIG_FLAG,
      `invalid -filter "${pattern}": syntax error in pattern`,
      { cause },
    );
  }
}
