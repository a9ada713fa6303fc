/**
 * Test helper: runs the real `dig` (tests declare `needs(tools.dig)`) against a DNS server on
 * 127.0.0.1. Not a test file itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolPath, tools } from '../helpers/system-tools.js';

const run = promisify(execFile);

/** dig queries 127.0.0.1:`port` once (2 s timeout) with `args` and returns dig's stdout. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(toolPath(tools.dig), [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=2',
    '+tries=1',
    ...args,
  ]);
  return stdout;
}
