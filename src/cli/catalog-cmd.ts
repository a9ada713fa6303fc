/**
 * `confd catalog datacenters|nodes|services` and `confd members`: read the catalog and the agent's
 * members with the output layout of `consul catalog ...` and `consul members`.
 */
import { errorMessage } from '../errors.js';
import { columnize, withAgentClient, type AgentClient } from './discovery-common.js';
import { parseCommand, type CommandSpec } from './kv-common.js';
import type { CommandIo } from './io.js';

const specs: Record<string, CommandSpec> = {
  datacenters: {
    help: 'Usage: confd catalog datacenters [options]\n\n  Lists all known datacenters.\n',
    flags: {},
  },
  nodes: {
    help: 'Usage: confd catalog nodes [options]\n\n  Lists all nodes in the catalog.\n',
    flags: {},
  },
  services: {
    help: 'Usage: confd catalog services [options]\n\n  Lists all registered services.\n',
    flags: {
      tags: { kind: 'bool', usage: "Display each service's tags as a comma-separated list." },
    },
  },
};

const usage = `Usage: confd catalog <subcommand> [options] [args]

  This command has subcommands for interacting with Consul's catalog.

Subcommands:
    datacenters    Lists all known datacenters
    nodes          Lists all nodes in the given datacenter
    services       Lists all registered services in a datacenter
`;

type Json = Record<string, unknown>;

async function list(name: string, client: AgentClient, bool: (f: string) => boolean) {
  if (name === 'datacenters') {
    return ((await client.get('/v1/catalog/datacenters')) as string[])
      .map((d) => `${d}\n`)
      .join('');
  }
  if (name === 'nodes') {
    const nodes = (await client.get('/v1/catalog/nodes')) as Json[];
    if (nodes.length === 0) return '';
    const rows = nodes.map((n) => [
      String(n.Node),
      (typeof n.ID === 'string' ? n.ID : '').slice(0, 8),
      String(n.Address),
      String(n.Datacenter),
    ]);
    return columnize([['Node', 'ID', 'Address', 'DC'], ...rows]);
  }
  const services = (await client.get('/v1/catalog/services')) as Record<string, string[]>;
  const names = Object.keys(services).sort();
  if (!bool('tags')) return names.map((n) => `${n}\n`).join('');
  return columnize(names.map((n) => [n, [...services[n]].sort().join(',')]));
}

/** run is the entry point of `confd catalog`. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  const spec = name !== undefined && Object.hasOwn(specs, name) ? specs[name] : undefined;
  if (!spec) {
    (name === undefined || name.startsWith('-') ? io.stdout : io.stderr)(usage);
    return name === undefined || ['-h', '-help', '--help'].includes(name) ? 0 : 1;
  }
  const flags = parseCommand(rest, spec, io);
  if (typeof flags === 'number') return flags;
  return withAgentClient(flags, io, async (client) => {
    try {
      io.stdout(await list(name, client, (f) => flags.bool(f)));
      return 0;
    } catch (err) {
      io.stderr(`Error listing ${name}: ${errorMessage(err)}\n`);
      return 1;
    }
  });
}
