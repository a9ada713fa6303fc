/**
 * `confd kv delete [options] KEY_OR_PREFIX`: deletes a key, a prefix (`-recurse`) or a key at a
 * given ModifyIndex (`-cas`), with the output and exit codes of `consul kv delete`.
 */
import { errorMessage } from '../errors.js';
import type { CommandIo } from './io.js';
import {
  parseCommand,
  withClient,
  atMostOneArg,
  stripLeadingSlash,
  type CommandSpec,
} from './kv-common.js';

/** deleteSpec is the flag set and help of `kv delete`. */
export const deleteSpec: CommandSpec = {
  help: `
Usage: confd kv delete [options] KEY_OR_PREFIX

  Removes the value at the given path. If no key exists at the path, no action
  is taken.

      $ confd kv delete foo
      $ confd kv delete -recurse foo
      $ confd kv delete -cas -modify-index=844 foo
`,
  flags: {
    cas: {
      kind: 'bool',
      usage:
        'Perform a Check-And-Set operation. Specifying this value also requires the ' +
        '-modify-index flag to be set. The default value is false.',
    },
    'modify-index': {
      kind: 'uint64',
      usage:
        'Unsigned integer representing the ModifyIndex of the key. This is used in combination ' +
        'with the -cas flag.',
    },
    recurse: {
      kind: 'bool',
      usage: 'Recursively delete all keys with the path. The default value is false.',
    },
  },
};

/** runDelete is the entry point of `kv delete`; resolves to the exit code. */
export async function runDelete(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, deleteSpec, io);
  if (typeof flags === 'number') return flags;
  if (!atMostOneArg(flags.args, io)) return 1;
  const key = stripLeadingSlash(flags.args[0] ?? '');
  const recurse = flags.bool('recurse');
  const cas = flags.bool('cas');
  const modifyIndex = flags.uint64('modify-index');
  // The same checks, in the same order, as command/kv/del/kv_delete.go.
  if (key === '' && !recurse) {
    io.stderr('Error! Missing KEY argument\n');
    return 1;
  }
  if (cas && modifyIndex === 0n) {
    io.stderr(
      'Cannot delete a key that does not exist. Provide a -modify-index greater than than 0.\n',
    );
    return 1;
  }
  if (modifyIndex !== 0n && !cas) {
    io.stderr('Cannot specify -modify-index without -cas!\n');
    return 1;
  }
  if (recurse && cas) {
    io.stderr('Cannot specify both -cas and -recurse!\n');
    return 1;
  }
  return withClient(flags, io, async (client) => {
    if (recurse) {
      try {
        await client.kvDelete(key, { recurse: true });
      } catch (err) {
        io.stderr(`Error! Did not delete prefix ${key}: ${errorMessage(err)}\n`);
        return 1;
      }
      io.stdout(`Success! Deleted keys with prefix: ${key}\n`);
      return 0;
    }
    if (cas) {
      let ok: boolean;
      try {
        ok = await client.kvDelete(key, { cas: modifyIndex });
      } catch (err) {
        io.stderr(`Error! Did not delete key ${key}: ${errorMessage(err)}\n`);
        return 1;
      }
      if (!ok) {
        io.stderr(`Error! Did not delete key ${key}: CAS failed\n`);
        return 1;
      }
      io.stdout(`Success! Deleted key: ${key}\n`);
      return 0;
    }
    try {
      await client.kvDelete(key);
    } catch (err) {
      io.stderr(`Error deleting key ${key}: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Success! Deleted key: ${key}\n`);
    return 0;
  });
}
