/**
 * The daemon's configuration: defaults < `confd.toml` < `CONFD_CLIENT_*` env fill-ins < command-line
 * flags, resolved once into a frozen {@link ConfdConfig}.
 *
 * confd decodes `confd.toml` over the parsed flags, so the file wins (upstream #236, #242); here the
 * flags the user typed win, as confd's docs promise. Everything "unset" stays `undefined` until
 * {@link resolveConfig}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from './errors.js';
import { parseGoDuration as parseGoDurationNs } from './go/duration.js';
import type { LogFormat, LogLevel } from './log.js';
import { parseLogLevel } from './log.js';

/** ConfdSettings is one layer of settings (flags or file); `undefined` means not given. */
export interface ConfdSettings {
  appId?: string;
  authToken?: string;
  authType?: string;
  backend?: string;
  basicAuth?: boolean;
  clientCaKeys?: string;
  clientCert?: string;
  clientInsecure?: boolean;
  clientKey?: string;
  commandTimeout?: string;
  confdir?: string;
  configFile?: string;
  dataDir?: string;
  files?: string[];
  filter?: string;
  interval?: number;
  keepStageFile?: boolean;
  logFormat?: string;
  logLevel?: string;
  nodes?: string[];
  noop?: boolean;
  onetime?: boolean;
  password?: string;
  path?: string;
  prefix?: string;
  roleId?: string;
  scheme?: string;
  secretId?: string;
  separator?: string;
  srvDomain?: string;
  srvRecord?: string;
  storeAddr?: string;
  syncOnly?: boolean;
  table?: string;
  userId?: string;
  username?: string;
  wait?: string;
  watch?: boolean;
  // The embedded store as a client agent of a cluster (ours):
  join?: string[];
  retryJoin?: string[];
  bind?: string;
  advertise?: string;
  serfLanPort?: number;
  encrypt?: string;
  nodeName?: string;
  datacenter?: string;
}

/**
 * EmbeddedMember makes the daemon's embedded node a client agent of a cluster (`-join` or
 * `-retry-join`): it keeps no state, sends its reads to the cluster's servers and serves the local
 * HTTP API on `-store-addr`, as `confd agent` without `-server` does.
 */
export interface EmbeddedMember {
  /** Agents to join at start, in order, retried until one answers. */
  readonly join: readonly string[];
  readonly bind: string;
  readonly advertise: string | undefined;
  readonly serfLanPort: number;
  readonly encrypt: string | undefined;
  /** The node name (confd's `-node` is the backend address, so it is `-node-name` here). */
  readonly nodeName: string | undefined;
  readonly datacenter: string;
}

/** WaitConfig is the `-wait min[:max]` quiescence window in milliseconds. */
export interface WaitConfig {
  readonly minMs: number;
  readonly maxMs: number;
}

/** ConfdConfig is the resolved, frozen configuration the daemon runs with. */
export interface ConfdConfig {
  readonly appId: string;
  readonly authToken: string;
  readonly authType: string;
  readonly backend: string;
  readonly basicAuth: boolean;
  readonly clientCaKeys: string;
  readonly clientCert: string;
  readonly clientInsecure: boolean;
  readonly clientKey: string;
  readonly commandTimeoutMs: number;
  readonly confdir: string;
  /** `<confdir>/conf.d`. */
  readonly resourceDir: string;
  /** `<confdir>/templates`. */
  readonly templateDir: string;
  readonly configFile: string;
  /** The embedded store's data directory; undefined keeps the store in memory. */
  readonly dataDir: string | undefined;
  readonly files: readonly string[];
  readonly filter: string;
  /** Seconds between passes in interval mode. */
  readonly interval: number;
  readonly keepStageFile: boolean;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  /** Backend nodes; per-backend defaults applied (confd `config.go`). */
  readonly nodes: readonly string[];
  readonly noop: boolean;
  readonly onetime: boolean;
  readonly password: string;
  readonly path: string;
  readonly prefix: string;
  readonly roleId: string;
  readonly scheme: string;
  readonly secretId: string;
  readonly separator: string;
  readonly srvDomain: string;
  readonly srvRecord: string;
  /** host:port the embedded store's HTTP API listens on. */
  readonly storeAddr: string;
  readonly syncOnly: boolean;
  readonly table: string;
  readonly userId: string;
  readonly username: string;
  readonly wait: WaitConfig | undefined;
  readonly watch: boolean;
  /** The embedded node as a cluster member; undefined: a lone embedded store. */
  readonly member: EmbeddedMember | undefined;
}

/** DEFAULT_CONFIG_FILE is where confd looks for its config file. */
export const DEFAULT_CONFIG_FILE = '/etc/confd/confd.toml';

/** DEFAULTS are the values of every setting nobody gave. */
export const DEFAULTS = Object.freeze({
  appId: '',
  authToken: '',
  authType: '',
  backend: 'embedded',
  basicAuth: false,
  clientCaKeys: '',
  clientCert: '',
  clientInsecure: false,
  clientKey: '',
  commandTimeout: '60s',
  confdir: '/etc/confd',
  configFile: DEFAULT_CONFIG_FILE,
  filter: '*',
  interval: 600,
  keepStageFile: false,
  logFormat: 'text',
  logLevel: '',
  noop: false,
  onetime: false,
  password: '',
  path: '',
  prefix: '',
  roleId: '',
  scheme: 'http',
  secretId: '',
  separator: '',
  srvDomain: '',
  srvRecord: '',
  storeAddr: '127.0.0.1:8500',
  syncOnly: false,
  table: '',
  userId: '',
  username: '',
  watch: false,
} satisfies Partial<ConfdSettings>);

type SettingKind = 'string' | 'bool' | 'int' | 'list';

/**
 * TOML_KEYS maps each `confd.toml` key to a setting. confd's keys come from its struct tags; the
 * untagged fields (`onetime`, `keepstagefile`) decode by field name, case-insensitively, as
 * BurntSushi/toml does. Keys of ours accept `_` and `-`.
 */
const TOML_KEYS: Record<string, [keyof ConfdSettings, SettingKind]> = {
  app_id: ['appId', 'string'],
  auth_token: ['authToken', 'string'],
  auth_type: ['authType', 'string'],
  backend: ['backend', 'string'],
  basic_auth: ['basicAuth', 'bool'],
  client_cakeys: ['clientCaKeys', 'string'],
  client_cert: ['clientCert', 'string'],
  client_insecure: ['clientInsecure', 'bool'],
  client_key: ['clientKey', 'string'],
  command_timeout: ['commandTimeout', 'string'],
  'command-timeout': ['commandTimeout', 'string'],
  confdir: ['confdir', 'string'],
  data_dir: ['dataDir', 'string'],
  'data-dir': ['dataDir', 'string'],
  file: ['files', 'list'],
  filter: ['filter', 'string'],
  interval: ['interval', 'int'],
  keepstagefile: ['keepStageFile', 'bool'],
  'log-level': ['logLevel', 'string'],
  log_format: ['logFormat', 'string'],
  'log-format': ['logFormat', 'string'],
  nodes: ['nodes', 'list'],
  noop: ['noop', 'bool'],
  onetime: ['onetime', 'bool'],
  password: ['password', 'string'],
  path: ['path', 'string'],
  prefix: ['prefix', 'string'],
  role_id: ['roleId', 'string'],
  scheme: ['scheme', 'string'],
  secret_id: ['secretId', 'string'],
  separator: ['separator', 'string'],
  srv_domain: ['srvDomain', 'string'],
  srv_record: ['srvRecord', 'string'],
  store_addr: ['storeAddr', 'string'],
  'store-addr': ['storeAddr', 'string'],
  join: ['join', 'list'],
  retry_join: ['retryJoin', 'list'],
  bind_addr: ['bind', 'string'],
  advertise_addr: ['advertise', 'string'],
  serf_lan_port: ['serfLanPort', 'int'],
  encrypt: ['encrypt', 'string'],
  node_name: ['nodeName', 'string'],
  datacenter: ['datacenter', 'string'],
  'sync-only': ['syncOnly', 'bool'],
  table: ['table', 'string'],
  user_id: ['userId', 'string'],
  username: ['username', 'string'],
  wait: ['wait', 'string'],
  watch: ['watch', 'bool'],
};

/** Untagged confd fields decode case-insensitively (BurntSushi/toml field-name matching). */
const CASE_INSENSITIVE_KEYS = new Set(['onetime', 'keepstagefile']);

/** DEFAULT_NODES are confd's per-backend default nodes when none are given. */
const DEFAULT_NODES: Record<string, string[]> = {
  consul: ['127.0.0.1:8500'],
  etcdv3: ['127.0.0.1:2379'],
  redis: ['127.0.0.1:6379'],
  vault: ['http://127.0.0.1:8200'],
  zookeeper: ['127.0.0.1:2181'],
};

/** ResolveConfigOptions are the inputs of {@link resolveConfig}. */
export interface ResolveConfigOptions {
  /** Settings from the command line (only the flags the user typed). */
  flags: ConfdSettings;
  /** The environment, for `CONFD_CLIENT_*` and `ETCDCTL_PEERS`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads the config file; default fs.readFile. Resolves undefined when the file is absent. */
  readConfigFile?: (path: string) => Promise<string | undefined>;
}

/**
 * readIfExists reads a UTF-8 file, or resolves undefined when it does not exist. Synchronously: one
 * small local file read once at start-up, where each thread-pool round trip of an async read cost
 * more than the read.
 */
function readIfExists(path: string): Promise<string | undefined> {
  try {
    return Promise.resolve(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(undefined);
    return Promise.reject(
      new ConfdError(ErrorCode.CONFIG_INVALID, `${path}: ${errorMessage(err)}`, { cause: err }),
    );
  }
}

/** lineOfKey finds the 1-based line where a top-level TOML key is assigned, for error messages. */
function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const escaped = key.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const re = new RegExp(`^\\s*("${escaped}"|'${escaped}'|${escaped})\\s*=`, 'i');
  const index = lines.findIndex((line) => re.test(line));
  return index === -1 ? undefined : index + 1;
}

/** parseConfigFile decodes confd.toml text into settings; unknown keys and tables are ignored. */
export async function parseConfigFile(text: string, file: string): Promise<ConfdSettings> {
  const { parse, TomlError } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      throw new ConfdError(
        ErrorCode.CONFIG_INVALID,
        `${file}:${err.line}:${err.column}: ${first.replace(/^Invalid TOML document: /, '')}`,
        { cause: err },
      );
    }
    throw new ConfdError(ErrorCode.CONFIG_INVALID, `${file}: ${errorMessage(err)}`, { cause: err });
  }
  const out: ConfdSettings = {};
  const assign = out as Record<string, unknown>;
  for (const [rawKey, value] of Object.entries(doc)) {
    const lower = rawKey.toLowerCase();
    const entry =
      TOML_KEYS[rawKey] ?? (CASE_INSENSITIVE_KEYS.has(lower) ? TOML_KEYS[lower] : undefined);
    if (!entry) continue; // confd ignores unknown keys and tables
    const [field, kind] = entry;
    const where = () => {
      const line = lineOfKey(text, rawKey);
      return line === undefined ? `${file}: ${rawKey}` : `${file}:${line}: ${rawKey}`;
    };
    const bad = (what: string) =>
      new ConfdError(ErrorCode.CONFIG_INVALID, `${where()}: must be ${what}`);
    switch (kind) {
      case 'string':
        if (typeof value !== 'string') throw bad('a string');
        assign[field] = value;
        break;
      case 'bool':
        if (typeof value !== 'boolean') throw bad('true or false');
        assign[field] = value;
        break;
      case 'int':
        if (typeof value === 'bigint') assign[field] = Number(value);
        else if (typeof value === 'number' && Number.isInteger(value)) assign[field] = value;
        else throw bad('an integer');
        break;
      case 'list':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
          throw bad('an array of strings');
        }
        assign[field] = [...value];
        break;
    }
  }
  return out;
}

/** parseGoDuration parses a Go duration (`1m30s`, `500ms`, `0`) into milliseconds, or undefined. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  // confd's duration settings take no sign, although Go's time.ParseDuration would accept one.
  if (s.startsWith('-') || s.startsWith('+')) return undefined;
  const ns = parseGoDurationNs(s);
  return ns === undefined ? undefined : ns / 1e6;
}

/**
 * parseWait parses `min[:max]` (consul-template's quiescence syntax) into milliseconds; max
 * defaults to 4 × min, as consul-template does. A bare number means seconds.
 */
export function parseWait(text: string): WaitConfig | undefined {
  const [minText = '', maxText, extra] = text.split(':');
  if (extra !== undefined) return undefined;
  const one = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) * 1000 : parseGoDuration(s));
  const minMs = one(minText);
  if (minMs === undefined) return undefined;
  if (maxText === undefined) return { minMs, maxMs: minMs * 4 };
  const maxMs = one(maxText);
  if (maxMs === undefined || maxMs < minMs) return undefined;
  return { minMs, maxMs };
}

/** resolveConfig merges flags, the config file and the environment into a frozen ConfdConfig. */
export async function resolveConfig(options: ResolveConfigOptions): Promise<ConfdConfig> {
  const { flags, env } = options;
  const configFile = flags.configFile ?? DEFAULT_CONFIG_FILE;
  const read = options.readConfigFile ?? readIfExists;
  const text = await read(configFile);
  const file: ConfdSettings = text === undefined ? {} : await parseConfigFile(text, configFile);

  const pick = <K extends keyof typeof DEFAULTS>(key: K): (typeof DEFAULTS)[K] =>
    (flags[key] ?? file[key] ?? DEFAULTS[key]) as (typeof DEFAULTS)[K];
  // confd's processEnv: CONFD_CLIENT_* only fill values still empty after flags and file.
  const fromEnv = (key: 'clientCaKeys' | 'clientCert' | 'clientKey', name: string) =>
    pick(key) || env[name] || '';

  const invalid = (msg: string) => new ConfdError(ErrorCode.CONFIG_INVALID, msg);
  const source = (key: keyof ConfdSettings) =>
    flags[key] !== undefined ? 'flag' : text !== undefined ? configFile : 'default';

  const levelText = pick('logLevel');
  const logLevel = levelText === '' ? 'info' : parseLogLevel(levelText);
  // confd (logrus) exits with this exact text for a bad level.
  if (logLevel === undefined) throw invalid(`not a valid level: "${levelText}"`);

  const logFormat = pick('logFormat');
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw invalid(`log-format (${source('logFormat')}): want text or json, got "${logFormat}"`);
  }
  const timeoutText = pick('commandTimeout');
  const commandTimeoutMs = parseGoDuration(timeoutText);
  if (commandTimeoutMs === undefined) {
    throw invalid(
      `command-timeout (${source('commandTimeout')}): invalid duration "${timeoutText}"`,
    );
  }
  const waitText = flags.wait ?? file.wait;
  const wait = waitText === undefined || waitText === '' ? undefined : parseWait(waitText);
  if (waitText && wait === undefined) {
    throw invalid(`wait (${source('wait')}): want min[:max] durations, got "${waitText}"`);
  }
  const interval = pick('interval');
  if (interval < 0) throw invalid(`interval (${source('interval')}): must not be negative`);

  const backend = pick('backend');
  const confdir = pick('confdir');
  let nodes = flags.nodes ?? file.nodes ?? [];
  if (nodes.length === 0) {
    if (backend === 'etcd') {
      nodes = env.ETCDCTL_PEERS ? env.ETCDCTL_PEERS.split(',') : ['http://127.0.0.1:4001'];
    } else if (backend === 'embedded') {
      nodes = [pick('storeAddr')];
    } else {
      nodes = DEFAULT_NODES[backend] ?? [];
    }
  }
  const dataDir = flags.dataDir ?? file.dataDir;
  const member = embeddedMember(flags, file, backend, dataDir);

  return Object.freeze({
    appId: pick('appId'),
    authToken: pick('authToken'),
    authType: pick('authType'),
    backend,
    basicAuth: pick('basicAuth'),
    clientCaKeys: fromEnv('clientCaKeys', 'CONFD_CLIENT_CAKEYS'),
    clientCert: fromEnv('clientCert', 'CONFD_CLIENT_CERT'),
    clientInsecure: pick('clientInsecure'),
    clientKey: fromEnv('clientKey', 'CONFD_CLIENT_KEY'),
    commandTimeoutMs,
    confdir,
    resourceDir: join(confdir, 'conf.d'),
    templateDir: join(confdir, 'templates'),
    configFile,
    dataDir: dataDir === '' ? undefined : dataDir,
    files: Object.freeze([...(flags.files ?? file.files ?? [])]),
    filter: pick('filter'),
    interval,
    keepStageFile: pick('keepStageFile'),
    logFormat,
    logLevel,
    nodes: Object.freeze([...nodes]),
    noop: pick('noop'),
    onetime: pick('onetime'),
    password: pick('password'),
    path: pick('path'),
    prefix: pick('prefix'),
    roleId: pick('roleId'),
    scheme: pick('scheme'),
    secretId: pick('secretId'),
    separator: pick('separator'),
    srvDomain: pick('srvDomain'),
    srvRecord: pick('srvRecord'),
    storeAddr: pick('storeAddr'),
    syncOnly: pick('syncOnly'),
    table: pick('table'),
    userId: pick('userId'),
    username: pick('username'),
    wait,
    watch: pick('watch'),
    member,
  });
}

function invalidSetting(message: string): ConfdError {
  return new ConfdError(ErrorCode.CONFIG_INVALID, message);
}

/** embeddedMember resolves the cluster-member settings; undefined without -join/-retry-join. */
function embeddedMember(
  flags: Partial<ConfdSettings>,
  file: Partial<ConfdSettings>,
  backend: string,
  dataDir: string | undefined,
): EmbeddedMember | undefined {
  const join = [...(flags.join ?? file.join ?? []), ...(flags.retryJoin ?? file.retryJoin ?? [])];
  if (join.length === 0) return undefined;
  if (backend !== 'embedded') {
    throw invalidSetting(
      `join: only the embedded backend can join a cluster (backend is ${backend})`,
    );
  }
  // The node ID and the servers it knows live there, so that a restart is the same member.
  if (dataDir === undefined || dataDir === '') {
    throw invalidSetting('join: the embedded node needs -data-dir to be a cluster member');
  }
  const serfLanPort = flags.serfLanPort ?? file.serfLanPort ?? 8301;
  if (!Number.isInteger(serfLanPort) || serfLanPort < 0 || serfLanPort > 65535) {
    throw invalidSetting(`serf-lan-port: ${serfLanPort} is out of range (0-65535)`);
  }
  return {
    join,
    bind: flags.bind ?? file.bind ?? '127.0.0.1',
    advertise: flags.advertise ?? file.advertise,
    serfLanPort,
    encrypt: flags.encrypt ?? file.encrypt,
    nodeName: flags.nodeName ?? file.nodeName,
    datacenter: flags.datacenter ?? file.datacenter ?? 'dc1',
  };
}
