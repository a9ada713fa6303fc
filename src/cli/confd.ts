import type { CommandIo } from './io.js';

/** run is the entry point of this command (placeholder until implemented). */
export function run(_argv: string[], io: CommandIo): Promise<number> {
  io.stderr('confd: not implemented yet\n');
  return Promise.resolve(1);
}
