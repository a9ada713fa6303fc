/**
 * `confd operator raft list-peers [-stale]` and `confd operator raft remove-peer -address|-id`:
 * the servers of the datacenter in `consul operator raft`'s columns and texts
 * (command/operator/raft/listpeers, removepeer).
 */
import { errorMessage } from '../errors.js';
import { columnize, withAgentClient } from './discovery-common.js';
import { helpText, parseCommand, type CommandSpec } from './kv-common.js';
import type { CommandIo } from './io.js';

const usage = `Usage: confd operator raft <subcommand> [options]

  The Raft operator command is used to interact with Consul's Raft subsystem.
  Here the servers share one log in etcd; these commands list and remove them.

Subcommands:

    list-peers     Display the current Raft peer configuration
    remove-peer    Remove a Consul server from the Raft configuration
`;

const listSpec: CommandSpec = {
  help: `Usage: confd operator raft list-peers [options]

  Displays the current Raft peer configuration.
`,
  flags: {
    stale: {
      kind: 'bool',
      usage: 'If this flag is set, any server can answer the request (it works without a leader).',
    },
  },
};

const removeSpec: CommandSpec = {
  help: `Usage: confd operator raft remove-peer [options]

  Remove the Consul server with given -address from the Raft configuration.
`,
  flags: {
    address: { kind: 'string', usage: 'The address to remove from the Raft configuration.' },
    id: { kind: 'string', usage: 'The ID to remove from the Raft configuration.' },
  },
};

interface RaftConfiguration {
  Servers: {
    ID: string;
    Node: string;
    Address: string;
    Leader: boolean;
    Voter: boolean;
    LastIndex?: number;
  }[];
}

/** run is the entry point of `confd operator`. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [area, sub, ...rest] = argv;
  if (area === 'raft' && sub === 'list-peers') return listPeers(rest, io);
  if (area === 'raft' && sub === 'remove-peer') return removePeer(rest, io);
  const help = area === undefined || area === '-h' || area === '-help' || sub === '-h';
  io.stderr(usage);
  return help ? 0 : 1;
}

async function listPeers(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, listSpec, io);
  if (typeof flags === 'number') return flags;
  return withAgentClient(flags, io, async (client) => {
    let config: RaftConfiguration;
    try {
      const stale = flags.bool('stale') ? '?stale' : '';
      config = (await client.get(`/v1/operator/raft/configuration${stale}`)) as RaftConfiguration;
    } catch (err) {
      io.stderr(
        `Error getting peers: Failed to retrieve raft configuration: ${errorMessage(err)}\n`,
      );
      return 1;
    }
    const leader = config.Servers.find((s) => s.Leader);
    const head = leader?.LastIndex ?? 0;
    const rows = config.Servers.map((s) => {
      const behind = head - (s.LastIndex ?? 0);
      return [
        s.Node || '(unknown)',
        s.ID,
        s.Address,
        s.Leader ? 'leader' : 'follower',
        String(s.Voter),
        '3',
        String(s.LastIndex ?? 0),
        s.Leader ? '-' : `${Math.max(0, behind)} ${behind === 1 ? 'commit' : 'commits'}`,
      ];
    });
    io.stdout(
      columnize([
        [
          'Node',
          'ID',
          'Address',
          'State',
          'Voter',
          'RaftProtocol',
          'Commit Index',
          'Trails Leader By',
        ],
        ...rows,
      ]),
    );
    return 0;
  });
}

async function removePeer(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, removeSpec, io);
  if (typeof flags === 'number') return flags;
  const address = flags.string('address');
  const id = flags.string('id');
  const fail = (why: string) => {
    io.stderr(`Error removing peer: ${why}\n`);
    return 1;
  };
  if (address === '' && id === '')
    return fail('an address or id is required for the peer to remove');
  if (address !== '' && id !== '') return fail('cannot give both an address and id');
  if (flags.args.length > 0) {
    io.stderr(helpText(removeSpec));
    return 1;
  }
  return withAgentClient(flags, io, async (client) => {
    const query =
      id !== '' ? `id=${encodeURIComponent(id)}` : `address=${encodeURIComponent(address)}`;
    try {
      await client.delete(`/v1/operator/raft/peer?${query}`);
    } catch (err) {
      return fail(errorMessage(err));
    }
    io.stdout(
      id !== '' ? `Removed peer with id "${id}"\n` : `Removed peer with address "${address}"\n`,
    );
    return 0;
  });
}
