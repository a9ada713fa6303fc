/**
 * The `confd` command: dispatches to a subcommand (agent, kv, ...) or runs the daemon. Each
 * subcommand module is loaded only when used, to keep start-up lean.
 */
import type { CommandIo } from './io.js';
import { processIo } from './io.js';

type CommandModule = { run(argv: string[], io: CommandIo): Promise<number> };

const subcommands: Record<string, () => Promise<CommandModule>> = {
  agent: () => import('./agent.js'),
  kv: () => import('./kv.js'),
  catalog: () => import('./catalog-cmd.js'),
  services: () => import('./services-cmd.js'),
  members: () => import('./members-cmd.js'),
  keygen: () => import('./keygen-cmd.js'),
  operator: () => import('./operator-cmd.js'),
  join: async () => ({ run: (await import('./cluster-cmds.js')).join }),
  leave: async () => ({ run: (await import('./cluster-cmds.js')).leave }),
  'force-leave': async () => ({ run: (await import('./cluster-cmds.js')).forceLeave }),
};

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const load = first !== undefined ? subcommands[first] : undefined;
  if (load) return (await load()).run(rest, processIo());
  return (await import('./confd.js')).run(argv, processIo());
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
