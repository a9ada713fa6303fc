/**
 * The daemon command, `confd [flags]`: Go `flag`-package parsing of confd's flags (plus ours), config
 * resolution, start-up log lines, signals, and the hand-off to the daemon.
 *
 * The parser is hand-written rather than yargs: it must reproduce Go's rules and messages exactly
 * (`flag provided but not defined: -x`, exit 2) and keep `confd -onetime` start-up lean.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import type { ConfdConfig, ConfdSettings } from '../config.js';
import { DEFAULTS, parseGoDuration, parseWait, resolveConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { createLogger } from '../log.js';
import { formatGoFlagDefaults, parseGoFlagArgs, type GoFlagSpec } from './go-flags.js';
import type { CommandIo } from './io.js';

type FlagKind = 'string' | 'bool' | 'int' | 'list' | 'duration' | 'wait';

/** FlagSpec describes one command-line flag. */
interface FlagSpec {
  readonly kind: FlagKind;
  /** The setting it fills; undefined for -version. */
  readonly field?: keyof ConfdSettings;
  readonly usage: string;
  /** The default as Go's usage prints it (omitted for zero values). */
  readonly shownDefault?: string;
}

const str = (field: keyof ConfdSettings, usage: string): FlagSpec => {
  const def = (DEFAULTS as Record<string, unknown>)[field];
  return typeof def === 'string' && def !== ''
    ? { kind: 'string', field, usage, shownDefault: JSON.stringify(def) }
    : { kind: 'string', field, usage };
};
const bool = (field: keyof ConfdSettings, usage: string): FlagSpec => ({
  kind: 'bool',
  field,
  usage,
});

/** FLAGS is every flag `confd` accepts: confd's set plus ours (-data-dir, -store-addr, ...). */
const FLAGS: Record<string, FlagSpec> = {
  'app-id': str('appId', 'Vault app-id for the app-id auth (unsupported backend)'),
  'auth-token': str(
    'authToken',
    'auth token (vault token/github auth; sent as X-Consul-Token to consul)',
  ),
  'auth-type': str('authType', 'Vault auth type (unsupported backend)'),
  backend: str('backend', 'backend to use: embedded, consul, etcd, etcdv3, redis, env, file, ...'),
  'basic-auth': bool('basicAuth', 'use HTTP basic auth with -username and -password'),
  'client-ca-keys': str('clientCaKeys', 'CA certificate file for TLS (env CONFD_CLIENT_CAKEYS)'),
  'client-cert': str('clientCert', 'TLS client certificate file (env CONFD_CLIENT_CERT)'),
  'client-insecure': bool(
    'clientInsecure',
    'accepted for compatibility; has no effect, as in confd',
  ),
  'client-key': str('clientKey', 'TLS client key file (env CONFD_CLIENT_KEY); the redis password'),
  'command-timeout': {
    kind: 'duration',
    field: 'commandTimeout',
    usage: 'kill check_cmd/reload_cmd after this long',
    shownDefault: DEFAULTS.commandTimeout,
  },
  confdir: str('confdir', 'root directory holding conf.d/ and templates/'),
  'config-file': str('configFile', 'TOML file with default settings (skipped when absent)'),
  'data-dir': str('dataDir', 'embedded store data directory (in memory when empty)'),
  file: {
    kind: 'list',
    field: 'files',
    usage: 'YAML file or directory for the file backend (repeatable)',
  },
  filter: str('filter', 'glob on file names when the file backend walks a directory'),
  interval: {
    kind: 'int',
    field: 'interval',
    usage: 'seconds between passes when neither -watch nor -onetime is set',
    shownDefault: String(DEFAULTS.interval),
  },
  'keep-stage-file': bool('keepStageFile', 'do not delete the staged copy of a target'),
  'log-format': str('logFormat', 'log line format: text or json'),
  'log-level': str('logLevel', 'least severe level logged: debug, info, warn, error, ...'),
  node: { kind: 'list', field: 'nodes', usage: 'backend address (repeatable)' },
  noop: bool('noop', 'compare and log differences, never write targets'),
  onetime: bool('onetime', 'render every resource once, then exit'),
  password: str('password', 'password for -basic-auth'),
  path: str('path', 'Vault mount path of the auth method (unsupported backend)'),
  prefix: str('prefix', 'key prefix that replaces every resource prefix'),
  'role-id': str('roleId', 'Vault role-id (unsupported backend)'),
  scheme: str('scheme', 'http or https: for SRV-discovered nodes and the consul client'),
  'secret-id': str('secretId', 'Vault secret-id (unsupported backend)'),
  separator: str('separator', 'redis: use this instead of "/" between key segments'),
  'srv-domain': str('srvDomain', 'domain whose _<backend>._tcp SRV record lists the nodes'),
  'srv-record': str('srvRecord', 'SRV record listing the backend nodes (overrides -node)'),
  'store-addr': str('storeAddr', 'address of the embedded store HTTP API'),
  join: {
    kind: 'list',
    field: 'join',
    usage:
      'embedded store: join the cluster of the agent at this address, as a client (repeatable)',
  },
  'retry-join': {
    kind: 'list',
    field: 'retryJoin',
    usage: 'embedded store: like -join (retried until an agent answers; repeatable)',
  },
  bind: str('bind', 'embedded cluster member: address of its cluster port (default 127.0.0.1)'),
  advertise: str('advertise', 'embedded cluster member: address other agents reach it at'),
  'serf-lan-port': {
    kind: 'int',
    field: 'serfLanPort',
    usage: 'embedded cluster member: its serf LAN port (joins, probes)',
    shownDefault: '8301',
  },
  encrypt: str('encrypt', 'embedded cluster member: the cluster -encrypt key'),
  'node-name': str('nodeName', 'embedded cluster member: its node name (default the host name)'),
  datacenter: str('datacenter', 'embedded cluster member: its datacenter (default dc1)'),
  'sync-only': bool('syncOnly', 'install targets but run neither check_cmd nor reload_cmd'),
  table: str('table', 'DynamoDB table (unsupported backend)'),
  'user-id': str('userId', 'Vault user-id (unsupported backend)'),
  username: str('username', 'user name for -basic-auth'),
  version: { kind: 'bool', usage: 'print the version and exit' },
  wait: {
    kind: 'wait',
    field: 'wait',
    usage: 'batch changes for min[:max] (e.g. 2s:10s) before rendering in -watch mode',
  },
  watch: bool('watch', 'render again whenever the backend reports a change'),
};

/** ParsedFlags is the outcome of {@link parseFlags}. */
export type ParsedFlags =
  | { kind: 'ok'; settings: ConfdSettings; version: boolean; args: string[] }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

/** goSpecs maps {@link FLAGS} onto the shared Go flag parser's specs. */
function goSpecs(): GoFlagSpec[] {
  return Object.entries(FLAGS).map(([name, spec]): GoFlagSpec => {
    const base = { name, usage: spec.usage, default: spec.shownDefault };
    switch (spec.kind) {
      case 'duration':
        return { ...base, kind: 'value', placeholder: 'duration', validate: isDuration };
      case 'wait':
        return { ...base, kind: 'value', validate: (v) => parseWait(v) !== undefined };
      case 'bool':
      case 'int':
      case 'list':
      case 'string':
        return { ...base, kind: spec.kind };
    }
  });
}

const isDuration = (text: string): boolean => parseGoDuration(text) !== undefined;

/**
 * parseFlags parses argv with Go's flag rules: `-f`/`--f`, `-f=v`/`-f v`, booleans only as `-f` or
 * `-f=bool`, parsing stops at the first non-flag or after `--`; `-h`/`-help` ask for usage.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const r = parseGoFlagArgs(argv, goSpecs());
  if (r.kind !== 'ok') return r;
  const settings: Record<string, unknown> = {};
  let version = false;
  for (const [name, value] of r.values) {
    const field = FLAGS[name]?.field;
    if (field === undefined) {
      version = value === true;
    } else if (typeof value === 'bigint') {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) {
        const text = r.order.find((o) => o.name === name)?.value;
        return {
          kind: 'error',
          message: `invalid value ${JSON.stringify(String(text))} for flag -${name}: parse error`,
        };
      }
      settings[field] = n;
    } else {
      settings[field] = value;
    }
  }
  return { kind: 'ok', settings: settings, version, args: r.args };
}

/** usageText renders the flag list as Go's flag.PrintDefaults does, sorted by name. */
export function usageText(program: string): string {
  return `Usage of ${program}:\n${formatGoFlagDefaults(goSpecs())}`;
}

/** versionText is the `-version` line, shaped as confd's. */
function versionText(): string {
  let version = 'unknown';
  // package.json is two levels up from the bundle (dist/bundle/) and three from dist/src/cli/.
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'confd-ts' && pkg.version) {
        version = pkg.version;
        break;
      }
    } catch {
      // not here; try the next candidate
    }
  }
  return `confd ${version} (Node Version: ${process.version})\n`;
}

/**
 * programTag is argv[0] as confd's log lines print it: the path the user typed. Node only knows the
 * resolved script path, so the shell's `$_` is used when it names the same file (a bare `confd`
 * when it was found through PATH).
 */
export function programTag(io: CommandIo): string {
  const typed = io.env._;
  if (!typed) return io.argv0;
  try {
    if (realpathSync(typed) !== realpathSync(io.argv0)) return io.argv0;
  } catch {
    return io.argv0;
  }
  if (isAbsolute(typed)) {
    const pathDirs = (io.env.PATH ?? '').split(':');
    if (pathDirs.includes(dirname(typed))) return basename(typed);
  }
  return typed;
}

/** run is the entry point of the daemon command; resolves to the process exit code. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseFlags(argv);
  const tag = programTag(io);
  if (parsed.kind === 'help') {
    io.stderr(usageText(tag));
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr(`${parsed.message}\n${usageText(tag)}`);
    return 2;
  }
  if (parsed.version) {
    io.stdout(versionText());
    return 0;
  }
  let config: ConfdConfig;
  try {
    config = await resolveConfig({ flags: parsed.settings, env: io.env });
  } catch (err) {
    createLogger({ tag, write: io.stderr }).fatal(errorMessage(err));
    return 1;
  }
  const logger = createLogger({
    tag,
    level: config.logLevel,
    format: config.logFormat,
    write: io.stderr,
  });
  return runDaemon(config, logger, io);
}

/** runDaemon logs confd's start-up lines, starts the daemon and wires the signals to it. */
async function runDaemon(config: ConfdConfig, logger: Logger, io: CommandIo): Promise<number> {
  const { createDaemon } = await import('../daemon.js');
  const daemon = createDaemon({ config, logger, env: io.env });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') {
      void daemon.reload();
      return;
    }
    if (stopping) {
      // A second interrupt while the render in flight finishes: give up at once.
      logger.warn(`Captured a second ${signal}. Exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`Captured ${signal === 'SIGINT' ? 'interrupt' : 'terminated'}. Exiting...`);
    void daemon.close();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    return await daemon.run();
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
