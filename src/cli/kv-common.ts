/**
 * What the `confd kv` subcommands share: Consul's HTTP flags (`-http-addr`, `-token`, ...), the
 * client built from flags and environment, data arguments (`value`, `@file`, `-` for stdin), and
 * the help/flag-error handling of Go's flag package.
 */
import { readFile } from 'node:fs/promises';
import { ConfdError, ErrorCode, errorMessage, isConfdError } from '../errors.js';
import { decodeBase64Std } from '../go/base64.js';
import { createConsulHttpClient, type ConsulHttpClient } from './consul-http.js';
import { goFileError } from './go-file-error.js';
import { httpFlags, resolveHttpOptions } from './http-flags.js';
import {
  formatFlagDefaults,
  HelpRequested,
  parseGoFlags,
  type FlagSpecs,
  type ParsedFlags,
} from './kv-flags.js';
import type { CommandIo } from './io.js';

export { DEFAULT_HTTP_ADDR, httpFlags } from './http-flags.js';

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
 * environment, as Consul's CLI does (see `http-flags.ts`). Throws `CFD_ERR_CONFIG_FLAG` for a bad
 * address, an unreadable token file or bad TLS files.
 */
export async function openClient(flags: ParsedFlags, io: CommandIo): Promise<ConsulHttpClient> {
  return createConsulHttpClient(await resolveHttpOptions(flags, io.env));
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
