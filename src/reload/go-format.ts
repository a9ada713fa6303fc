/**
 * Go formatting that confd's log lines depend on: the string form of an `os.FileMode`
 * (`-rw-r--r--`). `%q` of a command's output is `goQuote` in `src/go/strconv.ts`.
 */
import { constants } from 'node:fs';

/**
 * formatFileMode renders a POSIX `st_mode` the way Go prints an os.FileMode, e.g. `-rw-r--r--`,
 * `drwxr-xr-x`, `urwxr-xr-x` (setuid), `gtrw-rw-rw-` (setgid and sticky).
 */
export function formatFileMode(stMode: number): string {
  const type = stMode & constants.S_IFMT;
  let prefix = '';
  // Go's letters, in its bit order: d a l T L D p S u g c t ? (a, l, T, ? never come from stat).
  const flags: [boolean, string][] = [
    [type === constants.S_IFDIR, 'd'],
    [type === constants.S_IFLNK, 'L'],
    [type === constants.S_IFBLK || type === constants.S_IFCHR, 'D'],
    [type === constants.S_IFIFO, 'p'],
    [type === constants.S_IFSOCK, 'S'],
    [(stMode & 0o4000) !== 0, 'u'],
    [(stMode & 0o2000) !== 0, 'g'],
    [type === constants.S_IFCHR, 'c'],
    [(stMode & 0o1000) !== 0, 't'],
  ];
  for (const [set, letter] of flags) if (set) prefix += letter;
  if (prefix === '') prefix = '-';
  const rwx = 'rwxrwxrwx';
  let perm = '';
  for (let i = 0; i < 9; i++) perm += stMode & (1 << (8 - i)) ? rwx[i] : '-';
  return prefix + perm;
}
