/**
 * `confd kv get [options] [KEY_OR_PREFIX]`: reads one key, a prefix (`-recurse`) or key names
 * (`-keys`), with the output and exit codes of `consul kv get`.
 */
import { errorMessage } from '../errors.js';
import type { CommandIo } from './io.js';
import { formatDetailed, valueBytes } from './kv-format.js';
import {
  parseCommand,
  withClient,
  atMostOneArg,
  stripLeadingSlash,
  type CommandSpec,
} from './kv-common.js';
import type { ConsulHttpClient } from './consul-http.js';

/** getSpec is the flag set and help of `kv get`. */
export const getSpec: CommandSpec = {
  help: `
Usage: confd kv get [options] [KEY_OR_PREFIX]

  Retrieves the value at the given key name. If no key exists with that name,
  an error is returned. If the key exists but has no data, an empty line is
  printed. If the name or prefix is omitted, it defaults to "" (the root).

      $ confd kv get foo
      $ confd kv get -detailed foo
      $ confd kv get -recurse foo
      $ confd kv get -keys -separator=/ foo
`,
  flags: {
    base64: { kind: 'bool', usage: 'Base64 encode the value. The default value is false.' },
    detailed: {
      kind: 'bool',
      usage:
        'Provide additional metadata about the key in addition to the value such as the ' +
        'ModifyIndex and any flags that may have been set on the key. The default value is false.',
    },
    keys: {
      kind: 'bool',
      usage:
        'List keys which start with the given prefix, but not their values. This option is ' +
        'commonly combined with the -separator option. The default value is false.',
    },
    recurse: {
      kind: 'bool',
      usage:
        'Recursively look at all keys prefixed with the given path. The default value is false.',
    },
    separator: {
      kind: 'string',
      default: '/',
      usage:
        'String to use as a separator between keys. Only taken into account when paired with ' +
        'the -keys flag.',
    },
  },
};

/** runGet is the entry point of `kv get`; resolves to the exit code. */
export async function runGet(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, getSpec, io);
  if (typeof flags === 'number') return flags;
  if (!atMostOneArg(flags.args, io)) return 1;
  // Consul strips one leading "/" as a courtesy, since keys cannot start with one.
  const key = stripLeadingSlash(flags.args[0] ?? '');
  const recurse = flags.bool('recurse');
  const keys = flags.bool('keys');
  if (key === '' && !recurse && !keys) {
    io.stderr('Error! Missing KEY argument\n');
    return 1;
  }
  return withClient(flags, io, async (client) => {
    try {
      return await query(client, key, flags, io);
    } catch (err) {
      io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
      return 1;
    }
  });
}

async function query(
  client: ConsulHttpClient,
  key: string,
  flags: { bool(name: string): boolean; string(name: string): string },
  io: CommandIo,
): Promise<number> {
  const base64 = flags.bool('base64');
  const detailed = flags.bool('detailed');
  if (flags.bool('keys') && flags.bool('recurse')) {
    // Consul lists full entries here and prints only their keys (or keys-only detail blocks).
    const pairs = await client.kvList(key);
    if (detailed) io.stdout(joinBlocks(pairs.map((p) => formatDetailed(p, false, true))));
    else io.stdout(pairs.map((p) => `${p.key}\n`).join(''));
    return 0;
  }
  if (flags.bool('keys')) {
    const names = await client.kvKeys(key, flags.string('separator'));
    io.stdout(names.map((n) => `${n}\n`).join(''));
    return 0;
  }
  if (flags.bool('recurse')) {
    const pairs = await client.kvList(key);
    if (detailed) {
      // Blocks separated by one blank line, as consul prints them.
      io.stdout(joinBlocks(pairs.map((p) => formatDetailed(p, base64))));
    } else {
      // "key:value" lines with the value's exact bytes, as consul prints them.
      io.stdout(
        Buffer.concat(
          pairs.flatMap((p) => [Buffer.from(`${p.key}:`), valueBytes(p.value, base64), NEWLINE]),
        ),
      );
    }
    return 0;
  }
  const pair = await client.kvGet(key);
  if (pair === null) {
    io.stderr(`Error! No key exists at: ${key}\n`);
    return 1;
  }
  // The value's exact bytes (binary included) and a newline, as consul kv get writes them.
  const body = detailed ? formatDetailed(pair, base64) : valueBytes(pair.value, base64);
  io.stdout(Buffer.concat([body, NEWLINE]));
  return 0;
}

const NEWLINE = Buffer.from('\n');

/** joinBlocks ends each block with a newline and separates blocks by one blank line. */
function joinBlocks(blocks: readonly Buffer[]): Buffer {
  return Buffer.concat(blocks.flatMap((b, i) => (i === 0 ? [b, NEWLINE] : [NEWLINE, b, NEWLINE])));
}
