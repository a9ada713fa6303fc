/** CommandIo is how a CLI command talks to the outside world; injected so tests can capture it. */
export interface CommandIo {
  /** Writes to standard output: text as UTF-8, bytes exactly (`kv get` prints binary values). */
  readonly stdout: (data: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** argv[0] as confd prints it in log lines. */
  readonly argv0: string;
  readonly readStdin: () => Promise<Buffer>;
}

/** processIo binds CommandIo to the real process. */
export function processIo(): CommandIo {
  return {
    stdout: (data) => process.stdout.write(data),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    argv0: process.argv[1] ?? 'confd',
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
