/** Mapping of `owner`/`group` names to numeric ids, from /etc/passwd and /etc/group. */
import { readFile } from 'node:fs/promises';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';

/** ResolveOwnerOptions points {@link resolveOwner} at other account databases (tests, chroots). */
export interface ResolveOwnerOptions {
  /** Default `/etc/passwd`. */
  passwdPath?: string;
  /** Default `/etc/group`. */
  groupPath?: string;
}

/** ResolvedOwner holds the ids found; a field is absent when its name was not given. */
export interface ResolvedOwner {
  uid?: number;
  gid?: number;
}

/** Finds `name` in a colon-separated account file and returns its third field (the id). */
async function lookup(file: string, name: string, what: 'user' | 'group'): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name); // numeric ids pass through, as chown accepts them
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfdError(
      ErrorCode.RESOURCE_INVALID,
      `cannot look up ${what} ${JSON.stringify(name)}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2] ?? '')) {
      return Number(fields[2]);
    }
  }
  throw new ConfdError(
    ErrorCode.RESOURCE_INVALID,
    `unknown ${what} ${JSON.stringify(name)}: not found in ${file}`,
  );
}

/**
 * resolveOwner maps a resource's `owner` and `group` (names or numeric strings) to uid and gid.
 * Upstream confd silently ignores these keys (only `uid`/`gid` work; PR #780 was never merged);
 * we honour them. An unknown name is a RESOURCE_INVALID ConfdError naming it and the file.
 */
export async function resolveOwner(
  owner?: string,
  group?: string,
  options: ResolveOwnerOptions = {},
): Promise<ResolvedOwner> {
  const result: ResolvedOwner = {};
  if (owner !== undefined && owner !== '') {
    result.uid = await lookup(options.passwdPath ?? '/etc/passwd', owner, 'user');
  }
  if (group !== undefined && group !== '') {
    result.gid = await lookup(options.groupPath ?? '/etc/group', group, 'group');
  }
  return result;
}
