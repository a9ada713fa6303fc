/**
 * `confd kv put [options] KEY [DATA]`: writes a value (argument, `@file`, `-` for stdin, or
 * empty), optionally as check-and-set or lock acquire/release, with the output and exit codes of
 * `consul kv put`.
 */
import { errorMessage } from '../errors.js';
import type { CommandIo } from './io.js';
import {
  decodeBase64Strict,
  parseCommand,
  readDataArgument,
  withClient,
  type CommandSpec,
} from './kv-common.js';

/** putSpec is the flag set and help of `kv put`. */
export const putSpec: CommandSpec = {
  help: `
Usage: confd kv put [options] KEY [DATA]

  Writes the data to the given path in the key-value store. The data can be
  given as the argument, read from a file with "@file", or from stdin with "-".
  If DATA is omitted, an empty value is written.

      $ confd kv put config/redis/maxconns 5
      $ confd kv put config/program/license @license.lic
      $ echo "abcd1234" | confd kv put config/program/license -
      $ confd kv put -cas -modify-index=844 config/redis/maxconns 5
`,
  flags: {
    acquire: {
      kind: 'bool',
      usage:
        'Obtain a lock on the key. If the key does not exist, this operation will create the key ' +
        'and obtain the lock. The session must already exist and be specified via the -session ' +
        'flag. The default value is false.',
    },
    base64: {
      kind: 'bool',
      usage: 'Treat the data as base 64 encoded. The default value is false.',
    },
    cas: {
      kind: 'bool',
      usage:
        'Perform a Check-And-Set operation. Specifying this value also requires the ' +
        '-modify-index flag to be set. The default value is false.',
    },
    flags: {
      kind: 'uint64',
      usage:
        'Unsigned integer value to assign to this key-value pair. This value is not read by the ' +
        'store, so clients can use it however makes sense. The default value is 0 (no flags).',
    },
    'modify-index': {
      kind: 'uint64',
      usage:
        'Unsigned integer representing the ModifyIndex of the key. This is used in combination ' +
        'with the -cas flag.',
    },
    release: {
      kind: 'bool',
      usage:
        'Forfeit the lock on the key at the given path. This requires the -session flag to be ' +
        'set. The key must be held by the session in order to be unlocked. The default value ' +
        'is false.',
    },
    session: {
      kind: 'string',
      usage:
        'User-defined identifier for this session as a string. This is commonly used with the ' +
        '-acquire and -release operations to build robust locking. The default value is empty.',
    },
  },
};

/** runPut is the entry point of `kv put`; resolves to the exit code. */
export async function runPut(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, putSpec, io);
  if (typeof flags === 'number') return flags;
  const { args } = flags;
  if (args.length === 0) {
    io.stderr('Error! Missing KEY argument\n');
    return 1;
  }
  if (args.length > 2) {
    io.stderr(`Error! Too many arguments (expected 1 or 2, got ${args.length})\n`);
    return 1;
  }
  // Unlike get/delete, consul kv put does not strip a leading "/"; the client rejects it below.
  const key = args[0];
  let data: Buffer;
  try {
    data =
      args[1] === undefined || args[1] === ''
        ? Buffer.alloc(0)
        : await readDataArgument(args[1], io);
  } catch (err) {
    io.stderr(`Error! ${errorMessage(err)}\n`);
    return 1;
  }
  if (flags.bool('base64')) {
    try {
      data = decodeBase64Strict(data.toString('utf8'));
    } catch (err) {
      // Consul prints this and then writes anyway; we stop instead of storing a partial value.
      io.stderr(`Error! Cannot base 64 decode data: ${errorMessage(err)}\n`);
      return 1;
    }
  }
  const session = flags.string('session');
  const acquire = flags.bool('acquire');
  const release = flags.bool('release');
  if ((acquire || release) && session === '') {
    io.stderr('Error! Missing -session (required with -acquire and -release)\n');
    return 1;
  }
  const cas = flags.bool('cas');
  const modifyIndex = flags.uint64('modify-index');
  // As command/kv/put/kv_put.go: -cas needs a non-zero -modify-index (the API's cas=0
  // create-only mode is not reachable from this CLI).
  if (cas && modifyIndex === 0n) {
    io.stderr('Must specify -modify-index with -cas!\n');
    return 1;
  }
  const kvFlags = flags.uint64('flags');
  return withClient(flags, io, async (client) => {
    if (cas) {
      return await report(
        () => client.kvPut(key, data, { flags: kvFlags, cas: modifyIndex }),
        `Success! Data written to: ${key}`,
        `Error! Did not write to ${key}: CAS failed`,
        (msg) => `Error! Did not write to ${key}: ${msg}`,
        io,
      );
    }
    if (acquire) {
      return await report(
        () => client.kvPut(key, data, { flags: kvFlags, acquire: session }),
        `Success! Lock acquired on: ${key}`,
        'Error! Did not acquire lock',
        (msg) => `Error! Failed writing data: ${msg}`,
        io,
      );
    }
    if (release) {
      return await report(
        () => client.kvPut(key, data, { flags: kvFlags, release: session }),
        `Success! Lock released on: ${key}`,
        'Error! Did not release lock',
        (msg) => `Error! Failed writing data: ${msg}`,
        io,
      );
    }
    return await report(
      async () => {
        await client.kvPut(key, data, { flags: kvFlags });
        return true; // a plain PUT's answer is not checked by consul kv put
      },
      `Success! Data written to: ${key}`,
      '',
      (msg) => `Error! Failed writing data: ${msg}`,
      io,
    );
  });
}

async function report(
  op: () => Promise<boolean>,
  success: string,
  refused: string,
  failed: (message: string) => string,
  io: CommandIo,
): Promise<number> {
  let ok: boolean;
  try {
    ok = await op();
  } catch (err) {
    io.stderr(`${failed(errorMessage(err))}\n`);
    return 1;
  }
  if (!ok) {
    io.stderr(`${refused}\n`);
    return 1;
  }
  io.stdout(`${success}\n`);
  return 0;
}
