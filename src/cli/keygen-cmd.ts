/**
 * `confd keygen`: prints a new cluster encryption key for `-encrypt` (base64 of 32 random bytes)
 * and a newline, exit 0, as `consul keygen`. It takes no flags; `-h` prints the usage.
 */
import { errorMessage } from '../errors.js';
import { generateKey } from '../transport/keys.js';
import { HelpRequested, parseGoFlags } from './kv-flags.js';
import type { CommandIo } from './io.js';

const help = `Usage: confd keygen

  Generates a new 32-byte encryption key that can be used to configure the
  agent to encrypt traffic. The output of this command is already
  in the proper format that the agent expects.
`;

/** run is the entry point of `confd keygen`. */
export function run(argv: string[], io: CommandIo): Promise<number> {
  try {
    parseGoFlags(argv, {});
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout(help);
      return Promise.resolve(0);
    }
    io.stderr(`${errorMessage(err)}\n${help}`);
    return Promise.resolve(1);
  }
  io.stdout(`${generateKey()}\n`);
  return Promise.resolve(0);
}
