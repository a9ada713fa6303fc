/**
 * `confd join`, `confd leave` and `confd force-leave`: the `consul` membership commands against
 * the local agent's HTTP API, with Consul's messages and exit codes
 * (`command/join`, `command/leave`, `command/forceleave`).
 */
import { errorMessage } from '../errors.js';
import { withAgentClient } from './discovery-common.js';
import { helpText, parseCommand, type CommandSpec } from './kv-common.js';
import type { CommandIo } from './io.js';

const joinSpec: CommandSpec = {
  help: `Usage: confd join [options] address ...

  Tells a running agent to join the cluster by specifying at least one existing
  member.
`,
  flags: {
    wan: { kind: 'bool', usage: 'Joins a server to another server in the WAN pool.' },
  },
};

const leaveSpec: CommandSpec = {
  help: `Usage: confd leave [options]

  Causes the agent to gracefully leave the Consul cluster and shutdown.
`,
  flags: {},
};

const forceLeaveSpec: CommandSpec = {
  help: `Usage: confd force-leave [options] name

  Forces a member of a Consul cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Consul will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.
`,
  flags: {
    prune: { kind: 'bool', usage: 'Remove agent forcibly from list of members' },
    wan: { kind: 'bool', usage: 'Exclusively leave the agent from the WAN serf pool.' },
  },
};

/** join runs `confd join [-wan] ADDR...`: one `PUT /v1/agent/join/<addr>` per address. */
export async function join(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, joinSpec, io);
  if (typeof flags === 'number') return flags;
  if (flags.args.length === 0) {
    io.stderr(`At least one address to join must be specified.\n\n${helpText(joinSpec)}`);
    return 1;
  }
  const wan = flags.bool('wan') ? '?wan=1' : '';
  return withAgentClient(flags, io, async (client) => {
    let joined = 0;
    for (const address of flags.args) {
      try {
        await client.put(`/v1/agent/join/${encodeURIComponent(address)}${wan}`);
        joined++;
      } catch (err) {
        io.stderr(`Error joining address '${address}': ${errorMessage(err)}\n`);
      }
    }
    if (joined === 0) {
      io.stderr('Failed to join any nodes.\n');
      return 1;
    }
    io.stdout(`Successfully joined cluster by contacting ${joined} nodes.\n`);
    return 0;
  });
}

/** leave runs `confd leave`: the agent leaves, answers, then shuts down. */
export async function leave(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, leaveSpec, io);
  if (typeof flags === 'number') return flags;
  if (flags.args.length > 0) {
    io.stderr(`Error found unexpected args: [${flags.args.join(' ')}]\n`);
    io.stdout(helpText(leaveSpec));
    return 1;
  }
  return withAgentClient(flags, io, async (client) => {
    try {
      await client.put('/v1/agent/leave');
    } catch (err) {
      io.stderr(`Error leaving: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout('Graceful leave complete\n');
    return 0;
  });
}

/** forceLeave runs `confd force-leave [-prune] [-wan] NODE`; success prints nothing. */
export async function forceLeave(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseCommand(argv, forceLeaveSpec, io);
  if (typeof flags === 'number') return flags;
  if (flags.args.length !== 1) {
    io.stderr(
      `A single node name must be specified to force leave.\n\n${helpText(forceLeaveSpec)}`,
    );
    return 1;
  }
  const query = [flags.bool('prune') ? 'prune=1' : '', flags.bool('wan') ? 'wan=1' : '']
    .filter(Boolean)
    .join('&');
  const node = encodeURIComponent(flags.args[0] ?? '');
  return withAgentClient(flags, io, async (client) => {
    try {
      await client.put(`/v1/agent/force-leave/${node}${query === '' ? '' : `?${query}`}`);
    } catch (err) {
      io.stderr(`Error force leaving: ${errorMessage(err)}\n`);
      return 1;
    }
    return 0;
  });
}
