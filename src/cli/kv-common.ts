/**
 * What the `confd kv` subcommands share: Consul's HTTP flags (`-http-addr`, `-token`, ...), the
 * client built from flags and environment, data arguments (`value`, `@file`, `-` for stdin), and
 * the help/flag-error handling of Go's flag package.
 */
import { readFile } from 'node:fs/promises';
import { ConfdError, ErrorCode, errorMessage, isConfdError } from '../errors.js';
import { decodeBase64Std } from '../go/base64.js';
import { createConsulHttpClient, type ConsulHttpClient } from './consul-http.js';
import {
  formatFlagDefaults,
  HelpRequested,
  parseGoFlags,
  type FlagSpecs,
  type ParsedFlags,
} from './kv-flags.js';
import type { CommandIo } from './io.js';

/** DEFAULT_HTTP_ADDR is where the Consul CLI looks for an agent without flag or env. */
export const DEFAULT_HTTP_ADDR = '127.0.0.1:8500';

/** httpFlags are Consul's client and server HTTP flags accepted by every kv subcommand. */
export const httpFlags: FlagSpecs = {
  'http-addr': {
    kind: 'string',
    usage:
      'The address and port of the Consul HTTP agent. The value can be an IP address or DNS ' +
      'address, but it must also include the port. This can also be specified via the ' +
      'CONSUL_HTTP_ADDR environment variable. The default value is http://127.0.0.1:8500.',
  },
  token: {
    kind: 'string',
    usage:
      'ACL token to use in the request. This can also be specified via the CONSUL_HTTP_TOKEN ' +
      'environment variable. If unspecified, the query will default to the token of the Consul ' +
      'agent at the HTTP address.',
  },
  'token-file': {
    kind: 'string',
    usage:
      'File containing the ACL token to use in the request instead of one specified via the ' +
      '-token argument or CONSUL_HTTP_TOKEN environment variable. This can also be specified ' +
      'via the CONSUL_HTTP_TOKEN_FILE environment variable.',
  },
  datacenter: {
    kind: 'string',
    usage:
      'Name of the datacenter to query. If unspecified, this will default to the datacenter of the queried agent.',
  },
  stale: {
    kind: 'bool',
    usage:
      'Permit any Consul server (non-leader) to respond to this request. This allows for lower ' +
      'latency and higher throughput, but can result in stale data. The default value is false.',
  },
};

/** CommandSpec describes one kv subcommand for parsing and help. */
export interface CommandSpec {
  readonly help: string;
  readonly flags: FlagSpecs;
}

/** helpText renders a subcommand's help: its text, then the HTTP flags and its own flags. */
export function helpText(spec: CommandSpec): string {
  const own = Object.keys(spec.flags).length > 0;
  return (
    `${spec.help.trim()}\n\nHTTP API Options\n\n${formatFlagDefaults(httpFlags)}\n` +
    (own ? `\nCommand Options\n\n${formatFlagDefaults(spec.flags)}\n` : '')
  );
}

/**
 * parseCommand parses a subcommand's argv. Returns the parsed flags, or an exit code after
 * printing help (`-h`: exit 0) or a Go flag error plus help (exit 1, as `consul kv` exits).
 */
export function parseCommand(
  argv: readonly string[],
  spec: CommandSpec,
  io: CommandIo,
): ParsedFlags | number {
  try {
    return parseGoFlags(argv, { ...httpFlags, ...spec.flags });
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout(helpText(spec));
      return 0;
    }
    io.stderr(`${errorMessage(err)}\n${helpText(spec)}`);
    return 1;
  }
}

/**
 * openClient builds the Consul client from the HTTP flags and, when a flag is absent, the
 * environment (`CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, `CONSUL_HTTP_TOKEN_FILE`,
 * `CONSUL_HTTP_SSL`), as Consul's CLI does. Throws `CFD_ERR_CONFIG_FLAG` for a bad address or an
 * unreadable token file.
 */
export async function openClient(flags: ParsedFlags, io: CommandIo): Promise<ConsulHttpClient> {
  const env = io.env;
  const address = flags.set.has('http-addr')
    ? flags.string('http-addr')
    : env.CONSUL_HTTP_ADDR || DEFAULT_HTTP_ADDR;
  let token = flags.set.has('token') ? flags.string('token') : (env.CONSUL_HTTP_TOKEN ?? '');
  const tokenFile = flags.set.has('token-file')
    ? flags.string('token-file')
    : (env.CONSUL_HTTP_TOKEN_FILE ?? '');
  if (tokenFile !== '') {
    // As the Go client: a non-empty token file wins over -token and CONSUL_HTTP_TOKEN.
    try {
      token = (await readFile(tokenFile, 'utf8')).trim() || token;
    } catch (err) {
      throw new ConfdError(
        ErrorCode.CONFIG_FLAG,
        `Error loading token file: ${goFileError('open', tokenFile, err)}`,
        { cause: err },
      );
    }
  }
  const ssl = /^(1|t|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  return createConsulHttpClient({
    address,
    token,
    datacenter: flags.string('datacenter'),
    stale: flags.bool('stale'),
    https: ssl,
  });
}

/** goFileError renders a file-system error as Go's `*PathError` does (`open f: no such file ...`). */
export function goFileError(op: string, path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const reasons: Record<string, [string, string]> = {
    ENOENT: [op, 'no such file or directory'],
    EACCES: [op, 'permission denied'],
    EISDIR: ['read', 'is a directory'],
    ENOTDIR: [op, 'not a directory'],
  };
  const known = typeof code === 'string' ? reasons[code] : undefined;
  return known ? `${known[0]} ${path}: ${known[1]}` : `${op} ${path}: ${errorMessage(err)}`;
}

/**
 * readDataArgument resolves a DATA argument as `consul kv put/import` do: `@path` reads a file,
 * `-` reads stdin, anything else (including `-x`) is the data itself. Throws an Error whose
 * message is Consul's (`Failed to read file: open x: no such file or directory`).
 */
export async function readDataArgument(data: string, io: CommandIo): Promise<Buffer> {
  if (data.startsWith('@')) {
    const path = data.slice(1);
    try {
      return await readFile(path);
    } catch (err) {
      throw new ConfdError(
        ErrorCode.CONFIG_FLAG,
        `Failed to read file: ${goFileError('open', path, err)}`,
        { cause: err },
      );
    }
  }
  if (data === '-') {
    try {
      return await io.readStdin();
    } catch (err) {
      throw new ConfdError(ErrorCode.CONFIG_FLAG, `Failed to read stdin: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  return Buffer.from(data, 'utf8');
}

/** stripLeadingSlash drops one leading `/`, a courtesy `consul kv get/delete/export` extend. */
export function stripLeadingSlash(key: string): string {
  return key.startsWith('/') ? key.slice(1) : key;
}

/** reportClientError prints `Error connecting to Consul agent: ...` for a bad client setup. */
export function reportClientError(err: unknown, io: CommandIo): number {
  if (!isConfdError(err)) throw err;
  io.stderr(`Error connecting to Consul agent: ${err.message}\n`);
  return 1;
}

/**
 * withClient opens the Consul client from the HTTP flags (printing `Error connecting to Consul
 * agent: ...` and returning 1 for a bad setup), runs `use` with it and always closes it.
 */
export async function withClient(
  flags: ParsedFlags,
  io: CommandIo,
  use: (client: ConsulHttpClient) => Promise<number>,
): Promise<number> {
  let client: ConsulHttpClient;
  try {
    client = await openClient(flags, io);
  } catch (err) {
    return reportClientError(err, io);
  }
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** atMostOneArg prints Consul's `Too many arguments (expected 1, got N)`; false when N > 1. */
export function atMostOneArg(args: readonly string[], io: CommandIo): boolean {
  if (args.length <= 1) return true;
  io.stderr(`Too many arguments (expected 1, got ${args.length})\n`);
  return false;
}

/**
 * decodeBase64Strict decodes like Go's `base64.StdEncoding.DecodeString` (see `src/go/base64.ts`);
 * bad input is a CONFIG_FLAG error reading `illegal base64 data at input byte N`.
 */
export function decodeBase64Strict(text: string): Buffer {
  try {
    return decodeBase64Std(text);
  } catch (err) {
    throw new ConfdError(ErrorCode.CONFIG_FLAG, errorMessage(err), { cause: err });
  }
}
