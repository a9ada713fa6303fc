/**
 * `confd services register|deregister`: registers a service with the local agent from flags
 * (`-name`, `-id`, `-address`, `-port`, `-tag` repeatable, `-meta k=v` repeatable) or from
 * definition files, and deregisters it by `-id` or files, as `consul services` does.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { withAgentClient } from './discovery-common.js';
import { parseCommand, type CommandSpec } from './kv-common.js';
import type { CommandIo } from './io.js';

const registerSpec: CommandSpec = {
  help: `Usage: confd services register [options] [FILE...]

  Register a service with the local agent, from flags or from service definition files
  (JSON with "service" or "services").

      $ confd services register -name=web -port=80 -tag=rails
      $ confd services register web.json
`,
  flags: {
    name: { kind: 'string', usage: 'Name of the service to register.' },
    id: { kind: 'string', usage: 'ID of the service to register; defaults to the name.' },
    address: { kind: 'string', usage: 'Address of the service; defaults to the node address.' },
    port: { kind: 'uint64', usage: 'Port of the service.' },
  },
};

const deregisterSpec: CommandSpec = {
  help: `Usage: confd services deregister [options] [FILE...]

  Deregister a service from the local agent by -id or by its definition files.
`,
  flags: { id: { kind: 'string', usage: 'ID of the service to deregister.' } },
};

/** takeRepeated removes every `-name value` / `-name=value` from argv and returns the values. */
function takeRepeated(argv: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length;) {
    const arg = argv[i];
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (m && m[1] === name) {
      if (m[2] !== undefined) {
        values.push(m[2]);
        argv.splice(i, 1);
      } else {
        values.push(argv[i + 1] ?? '');
        argv.splice(i, 2);
      }
    } else if (arg === '--' || !arg.startsWith('-')) break;
    else i++;
  }
  return values;
}

async function definitions(files: readonly string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const file of files) {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    if (doc.service !== undefined) out.push(doc.service as Record<string, unknown>);
    if (Array.isArray(doc.services)) out.push(...(doc.services as Record<string, unknown>[]));
  }
  return out;
}

/** run is the entry point of `confd services`. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name !== 'register' && name !== 'deregister') {
    io.stderr(
      'Usage: confd services <subcommand> [options]\n\nSubcommands:\n' +
        '    deregister    Deregister services\n    register      Register services\n',
    );
    return name === undefined ? 0 : 1;
  }
  const args = [...rest];
  const tags = name === 'register' ? takeRepeated(args, 'tag') : [];
  const meta = name === 'register' ? takeRepeated(args, 'meta') : [];
  const flags = parseCommand(args, name === 'register' ? registerSpec : deregisterSpec, io);
  if (typeof flags === 'number') return flags;
  return withAgentClient(flags, io, async (client) => {
    try {
      const defs = await definitions(flags.args);
      if (name === 'register') {
        if (defs.length === 0) {
          if (flags.string('name') === '') {
            io.stderr('Service name is required when registering with flags\n');
            return 1;
          }
          const metaMap: Record<string, string> = {};
          for (const kv of meta) {
            const eq = kv.indexOf('=');
            if (eq < 0) metaMap[kv] = '';
            else metaMap[kv.slice(0, eq)] = kv.slice(eq + 1);
          }
          defs.push({
            Name: flags.string('name'),
            ID: flags.string('id') || undefined,
            Address: flags.string('address') || undefined,
            Port: Number(flags.uint64('port')),
            Tags: tags,
            Meta: metaMap,
          });
        }
        for (const def of defs) {
          await client.put('/v1/agent/service/register', def);
          const label = (def.Name ?? def.name) as string;
          io.stdout(`Registered service: ${label}\n`);
        }
        return 0;
      }
      const ids = defs.map((d) => {
        const id = d.id ?? d.ID ?? d.name ?? d.Name;
        return typeof id === 'string' ? id : '';
      });
      if (flags.string('id') !== '') ids.push(flags.string('id'));
      if (ids.length === 0) {
        io.stderr('Either a service ID or at least one service definition file is required\n');
        return 1;
      }
      for (const id of ids) {
        await client.put(`/v1/agent/service/deregister/${encodeURIComponent(id)}`);
        io.stdout(`Deregistered service: ${id}\n`);
      }
      return 0;
    } catch (err) {
      io.stderr(`Error ${name}ing service: ${errorMessage(err)}\n`);
      return 1;
    }
  });
}
