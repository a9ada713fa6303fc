/** Test helper: `confd kv ...` run in process with its output captured. */
import { run } from '../../src/cli/kv.js';
import type { CommandIo } from '../../src/cli/io.js';

/** KvResult is what a `confd kv` run printed and returned. */
export interface KvResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kv runs `confd kv ...args` with `env` as its environment and `stdin` as its input. */
export async function kv(
  env: Record<string, string>,
  args: string[],
  stdin: string | Uint8Array = '',
): Promise<KvResult> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: (data) => (stdout += typeof data === 'string' ? data : Buffer.from(data).toString()),
    stderr: (text) => (stderr += text),
    env,
    argv0: 'confd',
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}
