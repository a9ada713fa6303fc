/**
 * The file backend's file discovery, as confd's `util.RecursiveFilesLookup`: a path that is a file
 * is used as is (the filter does not apply); a directory is walked in lexical order and every
 * regular file whose NAME matches the -filter glob is used. Symlinked directories are not entered
 * (Go's filepath.Walk does not follow them).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { PathPattern } from '../go/path-match.js';

const fsErrorTexts: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** fsErrorText words a Node fs error as Go's syscall errors read (`no such file or directory`). */
export function fsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && fsErrorTexts[code]) || errorMessage(err);
}

async function statOrFail(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `stat ${path}: ${fsErrorText(err)}`, {
      cause: err,
    });
  }
}

async function walk(dir: string, filter: PathPattern, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `open ${dir}: ${fsErrorText(err)}`, {
      cause: err,
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(path, filter, out);
    } else if (filter.test(entry.name)) {
      // A symlink counts as a file only if it points at one (confd stats the match).
      const isFile = entry.isSymbolicLink()
        ? await stat(path).then(
            (s) => !s.isDirectory(),
            () => false,
          )
        : true;
      if (isFile) out.push(path);
    }
  }
}

/** lookupFiles expands the -file paths into the list of files to read, in confd's order. */
export async function lookupFiles(
  paths: readonly string[],
  filter: PathPattern,
): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await statOrFail(path);
    if (info.isDirectory()) await walk(path, filter, out);
    else out.push(path);
  }
  return out;
}
