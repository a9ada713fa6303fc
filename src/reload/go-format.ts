/**
 * Go formatting that confd's log lines depend on: `%q` of a command's output and the string form
 * of an `os.FileMode` (`-rw-r--r--`).
 */
import { constants } from 'node:fs';

const HEX = '0123456789abcdef';
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(n: number, width: number): string {
  let out = '';
  for (let i = width - 1; i >= 0; i--) out += HEX[(n >> (4 * i)) & 0xf];
  return out;
}

/** Decodes one rune at `i` like Go's utf8.DecodeRune: returns [rune, width], rune -1 if invalid. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i];
  if (b0 < 0x80) return [b0, 1];
  const cont = (j: number, lo = 0x80, hi = 0xbf): number => {
    const v = b[i + j];
    return v !== undefined && v >= lo && v <= hi ? v & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [-1, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? [-1, 1] : [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0 ? [-1, 1] : [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [-1, 1];
}

function escapeRune(r: number): string {
  if (r === 0x22) return '\\"';
  if (r === 0x5c) return '\\\\';
  const ch = String.fromCodePoint(r);
  if (r === 0x20 || PRINTABLE.test(ch)) return ch;
  switch (r) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${hex(r, 2)}`;
  if (r < 0x10000) return `\\u${hex(r, 4)}`;
  return `\\U${hex(r, 8)}`;
}

/**
 * goQuote is Go's `fmt.Sprintf("%q", s)` (strconv.Quote): a double-quoted string with Go escapes,
 * invalid UTF-8 bytes as `\xNN`. confd logs command output this way.
 */
export function goQuote(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let out = '"';
  for (let i = 0; i < bytes.length;) {
    const [r, width] = decodeRune(bytes, i);
    out += r < 0 ? `\\x${hex(bytes[i], 2)}` : escapeRune(r);
    i += width;
  }
  return `${out}"`;
}

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
