/** Go's `*fs.PathError` texts for the CLI's file reads, so messages read as the Consul CLI's. */
import { errorMessage } from '../errors.js';

/** goFileError renders a file-system error as Go's `*PathError` does (`open f: no such file ...`). */
export function goFileError(op: string, path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const reasons: Record<string, [string, string]> = {
    ENOENT: [op, 'no such file or directory'],
    EACCES: [op, 'permission denied'],
    EISDIR: ['read', 'is a directory'],
    ENOTDIR: [op, 'not a directory'],
  };
  const known = typeof code === 'string' ? reasons[code] : undefined;
  return known ? `${known[0]} ${path}: ${known[1]}` : `${op} ${path}: ${errorMessage(err)}`;
}
