/**
 * `confd members`: the agent's members in `consul members`' columns (Node, Address, Status, Type,
 * Build, Protocol, DC, Partition, Segment), servers first then by name; exit 2 when none match.
 */
import { errorMessage } from '../errors.js';
import { columnize, withAgentClient } from './discovery-common.js';
import { parseCommand, type CommandSpec } from './kv-common.js';
import type { ParsedFlags } from './kv-flags.js';
import type { CommandIo } from './io.js';

const spec: CommandSpec = {
  help: `Usage: confd members [options]

  Outputs the members of a running agent.
`,
  flags: {
    detailed: { kind: 'bool', usage: 'Provides detailed information about nodes.' },
    wan: {
      kind: 'bool',
      usage:
        'If the agent is in server mode, this can be used to return the other peers in the WAN pool.',
    },
    status: {
      kind: 'string',
      usage:
        'If provided, output is filtered to only nodes matching the regular expression for status.',
    },
  },
};

// Serf's member status numbers.
const STATUS = ['none', 'alive', 'leaving', 'left', 'failed'];

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

/** run is the entry point of `confd members`. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, spec, io);
  if (typeof flags === 'number') return flags;
  return withAgentClient(flags, io, async (client) => {
    let members: Member[];
    try {
      const wan = flags.bool('wan') ? '&wan=1' : '';
      // Go decodes a null list (a client's WAN pool) as no members.
      members =
        ((await client.get(`/v1/agent/members?segment=_all${wan}`)) as Member[] | null) ?? [];
    } catch (err) {
      io.stderr(`Error retrieving members: ${errorMessage(err)}\n`);
      return 1;
    }
    return render(members, flags, io);
  });
}

/** render prints the members table; 2 when no member matches `-status`. */
function render(members: readonly Member[], flags: ParsedFlags, io: CommandIo): number {
  let filter: RegExp | undefined;
  if (flags.string('status') !== '') {
    try {
      filter = new RegExp(flags.string('status'));
    } catch (err) {
      io.stderr(`Failed to compile status regexp: ${errorMessage(err)}\n`);
      return 1;
    }
  }
  const rows = members
    .map((m) => {
      const raw = m.Tags ?? {};
      const type = raw.role === 'consul' ? 'server' : raw.role === 'node' ? 'client' : 'unknown';
      // The CLI rewrites the tags before printing: an empty partition is `default`, and the
      // segment is `<all>` for servers, `<default>` for members of the default segment.
      const segment =
        type === 'server' ? '<all>' : (raw.segment ?? '') === '' ? '<default>' : raw.segment;
      const tags: Record<string, string> = {
        ...raw,
        ap: raw.ap || 'default',
        segment: segment ?? '',
      };
      const address = m.Addr.includes(':') ? `[${m.Addr}]:${m.Port}` : `${m.Addr}:${m.Port}`;
      return { m, tags, type, address, status: STATUS[m.Status] ?? 'unknown' };
    })
    .filter((r) => !filter || filter.test(r.status))
    .sort((a, b) =>
      a.type !== b.type && (a.type === 'server' || b.type === 'server')
        ? a.type === 'server'
          ? -1
          : 1
        : a.m.Name < b.m.Name
          ? -1
          : a.m.Name > b.m.Name
            ? 1
            : 0,
    );
  // No member matched: exit 2, as consul members does.
  if (rows.length === 0) return 2;
  if (flags.bool('detailed')) {
    const lines = rows.map((r) => [
      r.m.Name,
      r.address,
      r.status,
      Object.keys(r.tags)
        .sort()
        .map((k) => `${k}=${r.tags[k]}`)
        .join(','),
    ]);
    io.stdout(columnize([['Node', 'Address', 'Status', 'Tags'], ...lines]));
    return 0;
  }
  const lines = rows.map((r) => {
    if (r.type === 'unknown') return [r.m.Name, r.address, r.status, r.type, '', '', '', '', ''];
    const build = r.tags.build === undefined ? '< 0.3' : (r.tags.build.split(':')[0] ?? '');
    return [
      r.m.Name,
      r.address,
      r.status,
      r.type,
      build,
      r.tags.vsn ?? '',
      r.tags.dc ?? '',
      r.tags.ap ?? 'default',
      r.tags.segment ?? '',
    ];
  });
  io.stdout(
    columnize([
      ['Node', 'Address', 'Status', 'Type', 'Build', 'Protocol', 'DC', 'Partition', 'Segment'],
      ...lines,
    ]),
  );
  return 0;
}
