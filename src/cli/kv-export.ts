/**
 * `confd kv export [KEY_OR_PREFIX]`: prints every entry under a prefix as the tab-indented JSON
 * `[{"key","flags","value"}]` of `consul kv export` (values base64).
 */
import { errorMessage } from '../errors.js';
import type { CommandIo } from './io.js';
import { formatExport, toExportEntry } from './kv-format.js';
import {
  parseCommand,
  withClient,
  atMostOneArg,
  stripLeadingSlash,
  type CommandSpec,
} from './kv-common.js';

/** exportSpec is the flag set and help of `kv export`. */
export const exportSpec: CommandSpec = {
  help: `
Usage: confd kv export [KEY_OR_PREFIX]

  Retrieves key-value pairs for the given prefix and writes a JSON
  representation to stdout. "confd kv import" reads it back.

      $ confd kv export vault
`,
  flags: {},
};

/** runExport is the entry point of `kv export`; resolves to the exit code. */
export async function runExport(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, exportSpec, io);
  if (typeof flags === 'number') return flags;
  if (!atMostOneArg(flags.args, io)) return 1;
  const prefix = stripLeadingSlash(flags.args[0] ?? '');
  return withClient(flags, io, async (client) => {
    try {
      const pairs = await client.kvList(prefix);
      io.stdout(`${formatExport(pairs.map(toExportEntry))}\n`);
      return 0;
    } catch (err) {
      io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
      return 1;
    }
  });
}
