/**
 * The `confd agent` configuration: its Go-style flags, Consul JSON config files and directories,
 * and their merge into one resolved {@link AgentConfig} (defaults < files in order < flags).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { ConfdError, ErrorCode } from '../errors.js';
import { parseGoDuration } from '../go/duration.js';
import type { FlagSpec, FlagValues } from './agent-flags.js';
import type { AgentLogLevel } from './agent-log.js';
import { parseAgentLogLevel } from './agent-log.js';
import {
  readReplicationKey,
  replicationFlags,
  resolveReplication,
  type ReplicationLayer,
  type ReplicationSettings,
} from './replication-config.js';

/** agentFlags are the flags `confd agent` accepts (a subset of `consul agent`'s). */
export const agentFlags: readonly FlagSpec[] = [
  { name: 'server', kind: 'bool', usage: 'Switches agent to server mode (holds the state).' },
  { name: 'bootstrap', kind: 'bool', usage: 'Sets server to bootstrap mode.' },
  {
    name: 'dev',
    kind: 'bool',
    usage: 'Starts the agent in development mode: in-memory, pretty JSON.',
  },
  {
    name: 'data-dir',
    kind: 'string',
    placeholder: 'string',
    usage: 'Path to a data directory to store agent state.',
  },
  {
    name: 'client',
    kind: 'string',
    placeholder: 'string',
    usage: 'Sets the address to bind for client access (HTTP). Default 127.0.0.1.',
  },
  {
    name: 'bind',
    kind: 'string',
    placeholder: 'string',
    usage: 'Sets the bind address for cluster communication. Default 127.0.0.1.',
  },
  {
    name: 'advertise',
    kind: 'string',
    placeholder: 'string',
    usage: 'Sets the advertise address to use. Default the bind address.',
  },
  {
    name: 'serf-lan-port',
    kind: 'int',
    usage: 'Sets the Serf LAN port to listen on (joins, probes). Default 8301.',
  },
  {
    name: 'server-port',
    kind: 'int',
    usage: 'Sets the server port to listen on (server RPC and forwarding). Default 8300.',
  },
  {
    name: 'join',
    kind: 'list',
    placeholder: 'value',
    usage: 'Address of an agent to join at start time. Can be specified multiple times.',
  },
  {
    name: 'retry-join',
    kind: 'list',
    placeholder: 'value',
    usage:
      'Address of an agent to join at start time with retries enabled. Can be specified multiple times.',
  },
  {
    name: 'retry-interval',
    kind: 'string',
    placeholder: 'duration',
    usage: 'Time to wait between join attempts. Default 30s.',
  },
  {
    name: 'retry-max',
    kind: 'int',
    usage: 'Maximum number of join attempts. Defaults to 0, which will retry indefinitely.',
  },
  {
    name: 'rejoin',
    kind: 'bool',
    usage: 'Ignores a previous leave and attempts to rejoin the cluster.',
  },
  {
    name: 'encrypt',
    kind: 'string',
    placeholder: 'string',
    usage: 'Provides the gossip encryption key (base64, 32 bytes; confd keygen makes one).',
  },
  {
    name: 'http-port',
    kind: 'int',
    usage: 'Sets the HTTP API port to listen on (0 = any free port). Default 8500.',
  },
  {
    name: 'dns-port',
    kind: 'int',
    usage: 'DNS port to use (UDP and TCP; 0 = any free port, -1 disables). Default 8600.',
  },
  {
    name: 'node',
    kind: 'string',
    placeholder: 'string',
    usage: 'Name of this node. Must be unique in the cluster. Default the hostname.',
  },
  {
    name: 'node-id',
    kind: 'string',
    placeholder: 'string',
    usage: 'A unique ID for this node across space and time.',
  },
  {
    name: 'datacenter',
    kind: 'string',
    placeholder: 'string',
    usage: 'Datacenter of the agent. Default dc1.',
  },
  {
    name: 'config-file',
    kind: 'list',
    placeholder: 'value',
    usage: 'Path to a JSON file to read configuration from. Can be specified multiple times.',
  },
  {
    name: 'config-dir',
    kind: 'list',
    placeholder: 'value',
    usage:
      'Path to a directory to read *.json configuration files from, in lexical order. Can be specified multiple times.',
  },
  ...replicationFlags,
  {
    name: 'pid-file',
    kind: 'string',
    placeholder: 'string',
    usage: 'Path to file to store agent PID.',
  },
  {
    name: 'log-level',
    kind: 'string',
    placeholder: 'string',
    usage: 'Log level of the agent: trace, debug, info, warn, err. Default info.',
  },
  {
    name: 'default-query-time',
    kind: 'string',
    placeholder: 'duration',
    usage:
      'The amount of time a blocking query will wait before returning if no wait is given. Default 5m0s.',
  },
  {
    name: 'max-query-time',
    kind: 'string',
    placeholder: 'duration',
    usage: 'The maximum amount of time a blocking query can wait before returning. Default 10m0s.',
  },
];

/** AgentConfig is the resolved agent configuration. */
export interface AgentConfig {
  readonly dev: boolean;
  readonly server: boolean;
  readonly bootstrap: boolean;
  /** Undefined only in dev mode. */
  readonly dataDir: string | undefined;
  readonly clientAddr: string;
  readonly bindAddr: string;
  readonly httpPort: number;
  readonly nodeName: string;
  readonly nodeId: string | undefined;
  readonly datacenter: string;
  readonly pidFile: string | undefined;
  readonly logLevel: AgentLogLevel;
  readonly kvMaxValueSize: number;
  readonly txnMaxReqLen: number | undefined;
  readonly disableKvKeyValidation: boolean;
  readonly defaultQueryTimeMs: number;
  readonly maxQueryTimeMs: number;
  /** Unknown keys met in config files, as `file: key` (warned about, then ignored). */
  readonly ignoredKeys: readonly string[];
  /** The DNS port (UDP and TCP); -1 = DNS disabled. */
  readonly dnsPort: number;
  /** `service` / `services` entries of config files, in load order, with their file. */
  readonly serviceDefinitions: readonly ConfigDefinition[];
  /** Top-level `check` / `checks` entries of config files, in load order, with their file. */
  readonly checkDefinitions: readonly ConfigDefinition[];
  /** enable_script_checks or enable_local_script_checks. */
  readonly enableScriptChecks: boolean;
  /** dns_config: only_passing, udp_answer_limit, enable_truncate; and `domain`. */
  readonly dns: DnsSettings;
  /** The cluster: ports, addresses, joining, encryption, failure detection. */
  readonly cluster: ClusterSettings;
  /** A replicated server's etcd log (`-etcd-endpoints`); undefined = a local log. */
  readonly replication: ReplicationSettings | undefined;
}

/** ClusterSettings are the agent's cluster options (Consul's join and gossip configuration). */
export interface ClusterSettings {
  /** The address the cluster ports listen on. */
  readonly bindAddr: string;
  /** The address other agents reach this one at. */
  readonly advertiseAddr: string;
  readonly serfLanPort: number;
  readonly serverPort: number;
  /** Agents to join at start, in order, until one answers (`-join`, `-retry-join`, both keys). */
  readonly retryJoin: readonly string[];
  readonly retryIntervalMs: number;
  /** 0: retry forever; else the agent exits 1 once that many attempts failed. */
  readonly retryMax: number;
  readonly rejoinAfterLeave: boolean;
  /** The `-encrypt` key text (base64), validated by the transport. */
  readonly encrypt: string | undefined;
  /** gossip_lan: probe interval and timeout, suspicion = suspicion_mult × probe interval. */
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly suspicionMs: number;
  /** A failed member is reaped after this long (reconnect_timeout). */
  readonly reconnectTimeoutMs: number;
  /** Signals: a client leaves on SIGTERM and SIGINT by default, a server on neither. */
  readonly leaveOnTerminate: boolean;
  readonly skipLeaveOnInterrupt: boolean;
}

/** DnsSettings are the DNS options of the agent configuration. */
export interface DnsSettings {
  readonly domain: string;
  readonly onlyPassing: boolean;
  readonly udpAnswerLimit: number;
  readonly enableTruncate: boolean;
}

/** ConfigDefinition is one service or check definition read from a config file. */
export interface ConfigDefinition {
  readonly file: string;
  readonly definition: unknown;
}

/** configError builds the CONFIG_INVALID error whose message Consul prints after `==> `. */
function configError(message: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.CONFIG_INVALID, message, { cause });
}

/** FileLayer is the subset of Consul's JSON config this agent understands. */
interface FileLayer {
  dataDir?: string;
  clientAddr?: string;
  bindAddr?: string;
  httpPort?: number;
  nodeName?: string;
  nodeId?: string;
  datacenter?: string;
  server?: boolean;
  bootstrap?: boolean;
  logLevel?: string;
  pidFile?: string;
  kvMaxValueSize?: number;
  txnMaxReqLen?: number;
  disableKvKeyValidation?: boolean;
  defaultQueryTime?: string;
  maxQueryTime?: string;
  dnsPort?: number;
  enableScriptChecks?: boolean;
  services?: ConfigDefinition[];
  checks?: ConfigDefinition[];
  domain?: string;
  dnsConfig?: { onlyPassing?: boolean; udpAnswerLimit?: number; enableTruncate?: boolean };
  advertiseAddr?: string;
  serfLanPort?: number;
  serverPort?: number;
  startJoin?: string[];
  retryJoin?: string[];
  retryInterval?: string;
  retryMax?: number;
  rejoinAfterLeave?: boolean;
  encrypt?: string;
  reconnectTimeout?: string;
  leaveOnTerminate?: boolean;
  skipLeaveOnInterrupt?: boolean;
  gossipLan?: { probeInterval?: string; probeTimeout?: string; suspicionMult?: number };
  etcd?: ReplicationLayer;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typed<T>(file: string, key: string, v: unknown, type: 'string' | 'number' | 'boolean'): T {
  if (type === 'number' ? Number.isInteger(v) : typeof v === type) return v as T;
  throw configError(
    `Error parsing ${file}: ${key}: expected ${type === 'number' ? 'an integer' : `a ${type}`}, got ${JSON.stringify(v)}`,
  );
}

/** parseConfigFile reads one Consul JSON config file into a layer. */
function parseConfigFile(file: string, ignored: string[]): FileLayer {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw configError(`Error parsing ${file}: ${why}`, err);
  }
  if (!isObject(doc)) throw configError(`Error parsing ${file}: expected a JSON object`);
  const layer: FileLayer = {};
  const s = (k: string, v: unknown) => typed<string>(file, k, v, 'string');
  const n = (k: string, v: unknown) => typed<number>(file, k, v, 'number');
  const b = (k: string, v: unknown) => typed<boolean>(file, k, v, 'boolean');
  for (const [key, v] of Object.entries(doc)) {
    switch (key) {
      case 'data_dir':
        layer.dataDir = s(key, v);
        break;
      case 'client_addr':
        layer.clientAddr = s(key, v);
        break;
      case 'bind_addr':
        layer.bindAddr = s(key, v);
        break;
      case 'node_name':
        layer.nodeName = s(key, v);
        break;
      case 'node_id':
        layer.nodeId = s(key, v);
        break;
      case 'datacenter':
        layer.datacenter = s(key, v);
        break;
      case 'server':
        layer.server = b(key, v);
        break;
      case 'bootstrap':
        layer.bootstrap = b(key, v);
        break;
      case 'log_level':
        layer.logLevel = s(key, v);
        break;
      case 'pid_file':
        layer.pidFile = s(key, v);
        break;
      case 'disable_kv_key_validation':
        layer.disableKvKeyValidation = b(key, v);
        break;
      case 'default_query_time':
        layer.defaultQueryTime = s(key, v);
        break;
      case 'max_query_time':
        layer.maxQueryTime = s(key, v);
        break;
      case 'service':
      case 'services':
      case 'check':
      case 'checks': {
        // Service and check definitions (Consul's -config-dir agent services); lists append.
        const list = key.endsWith('s') ? v : [v];
        if (!Array.isArray(list) || !list.every(isObject)) {
          throw configError(
            `Error parsing ${file}: ${key}: expected ${key.endsWith('s') ? 'a list of objects' : 'an object'}`,
          );
        }
        const target = key.startsWith('service') ? (layer.services ??= []) : (layer.checks ??= []);
        for (const definition of list) target.push({ file, definition });
        break;
      }
      case 'domain':
        layer.domain = s(key, v);
        break;
      case 'dns_config': {
        if (!isObject(v))
          throw configError(`Error parsing ${file}: dns_config: expected an object`);
        const dns: NonNullable<FileLayer['dnsConfig']> = {};
        for (const [dk, dv] of Object.entries(v)) {
          if (dk === 'only_passing') dns.onlyPassing = b('dns_config.only_passing', dv);
          else if (dk === 'enable_truncate')
            dns.enableTruncate = b('dns_config.enable_truncate', dv);
          else if (dk === 'udp_answer_limit') {
            dns.udpAnswerLimit = n('dns_config.udp_answer_limit', dv);
          } else ignored.push(`${file}: dns_config.${dk}`);
        }
        layer.dnsConfig = dns;
        break;
      }
      case 'enable_script_checks':
      case 'enable_local_script_checks':
        layer.enableScriptChecks = (layer.enableScriptChecks ?? false) || b(key, v);
        break;
      case 'ports': {
        if (!isObject(v)) throw configError(`Error parsing ${file}: ports: expected an object`);
        for (const [pk, pv] of Object.entries(v)) {
          if (pk === 'http') layer.httpPort = n('ports.http', pv);
          else if (pk === 'dns') layer.dnsPort = n('ports.dns', pv);
          else if (pk === 'serf_lan') layer.serfLanPort = n('ports.serf_lan', pv);
          else if (pk === 'server') layer.serverPort = n('ports.server', pv);
          else ignored.push(`${file}: ports.${pk}`);
        }
        break;
      }
      case 'advertise_addr':
        layer.advertiseAddr = s(key, v);
        break;
      case 'start_join':
      case 'retry_join': {
        if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) {
          throw configError(`Error parsing ${file}: ${key}: expected a list of strings`);
        }
        if (key === 'start_join') layer.startJoin = [...(layer.startJoin ?? []), ...v];
        else layer.retryJoin = [...(layer.retryJoin ?? []), ...v];
        break;
      }
      case 'retry_interval':
        layer.retryInterval = s(key, v);
        break;
      case 'retry_max':
        layer.retryMax = n(key, v);
        break;
      case 'rejoin_after_leave':
        layer.rejoinAfterLeave = b(key, v);
        break;
      case 'encrypt':
        layer.encrypt = s(key, v);
        break;
      case 'reconnect_timeout':
        layer.reconnectTimeout = s(key, v);
        break;
      case 'leave_on_terminate':
        layer.leaveOnTerminate = b(key, v);
        break;
      case 'skip_leave_on_interrupt':
        layer.skipLeaveOnInterrupt = b(key, v);
        break;
      case 'gossip_lan': {
        if (!isObject(v))
          throw configError(`Error parsing ${file}: gossip_lan: expected an object`);
        const gossip: NonNullable<FileLayer['gossipLan']> = {};
        for (const [gk, gv] of Object.entries(v)) {
          if (gk === 'probe_interval') gossip.probeInterval = s('gossip_lan.probe_interval', gv);
          else if (gk === 'probe_timeout') gossip.probeTimeout = s('gossip_lan.probe_timeout', gv);
          else if (gk === 'suspicion_mult')
            gossip.suspicionMult = n('gossip_lan.suspicion_mult', gv);
          else ignored.push(`${file}: gossip_lan.${gk}`);
        }
        layer.gossipLan = gossip;
        break;
      }
      case 'limits': {
        if (!isObject(v)) throw configError(`Error parsing ${file}: limits: expected an object`);
        for (const [lk, lv] of Object.entries(v)) {
          if (lk === 'kv_max_value_size') layer.kvMaxValueSize = n('limits.kv_max_value_size', lv);
          else if (lk === 'txn_max_req_len') layer.txnMaxReqLen = n('limits.txn_max_req_len', lv);
          else ignored.push(`${file}: limits.${lk}`);
        }
        break;
      }
      default:
        if (
          !readReplicationKey((layer.etcd ??= {}), key, v, (expected) => {
            throw configError(
              `Error parsing ${file}: ${key}: expected ${expected}, got ${JSON.stringify(v)}`,
            );
          })
        ) {
          ignored.push(`${file}: ${key}`);
        }
    }
  }
  return layer;
}

/** configDirFiles lists a -config-dir's `.json` files in lexical order (no sub-directories). */
function configDirFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw configError(`Error reading config dir ${dir}: ${(err as Error).message}`, err);
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    if (name.endsWith('.json')) files.push(path);
    else if (name.endsWith('.hcl')) {
      throw configError(`Error parsing ${path}: HCL configuration is not supported, use JSON`);
    }
  }
  return files;
}

/** port checks a cluster port setting: 0-65535 (0 picks a free port, which is advertised). */
function port(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw configError(`${name} ${value} is out of range (0-65535)`);
  }
  return value;
}

/** clusterSettings resolves the cluster options (flags win over files, as elsewhere). */
function clusterSettings(
  flag: <T>(name: string) => T | undefined,
  merged: FileLayer,
  server: boolean,
): ClusterSettings {
  const bindAddr = flag<string>('bind') ?? merged.bindAddr ?? '127.0.0.1';
  // Consul advertises its single private IPv4 when bound to 0.0.0.0; we take the loopback then.
  const advertiseAddr =
    flag<string>('advertise') ??
    merged.advertiseAddr ??
    (bindAddr === '0.0.0.0' || bindAddr === '::' ? '127.0.0.1' : bindAddr);
  const retryJoin = [
    ...(merged.startJoin ?? []),
    ...(merged.retryJoin ?? []),
    ...(flag<string[]>('join') ?? []),
    ...(flag<string[]>('retry-join') ?? []),
  ];
  const retryMax = flag<number>('retry-max') ?? merged.retryMax ?? 0;
  if (retryMax < 0) throw configError(`retry_max ${retryMax} must be >= 0`);
  const probeIntervalMs = queryTime(
    'gossip_lan.probe_interval',
    merged.gossipLan?.probeInterval,
    1000,
  );
  const mult = merged.gossipLan?.suspicionMult ?? 4;
  if (mult < 1) throw configError(`gossip_lan.suspicion_mult ${mult} must be >= 1`);
  return {
    bindAddr,
    advertiseAddr,
    serfLanPort: port(
      'ports.serf_lan',
      flag<number>('serf-lan-port') ?? merged.serfLanPort ?? 8301,
    ),
    serverPort: port('ports.server', flag<number>('server-port') ?? merged.serverPort ?? 8300),
    retryJoin: [...new Set(retryJoin)],
    retryIntervalMs: queryTime(
      'retry_interval',
      flag<string>('retry-interval') ?? merged.retryInterval,
      30_000,
    ),
    retryMax,
    rejoinAfterLeave: flag<boolean>('rejoin') ?? merged.rejoinAfterLeave ?? false,
    encrypt: flag<string>('encrypt') ?? merged.encrypt,
    probeIntervalMs,
    probeTimeoutMs: queryTime('gossip_lan.probe_timeout', merged.gossipLan?.probeTimeout, 500),
    suspicionMs: mult * probeIntervalMs,
    reconnectTimeoutMs: queryTime('reconnect_timeout', merged.reconnectTimeout, 72 * 3600_000),
    leaveOnTerminate: merged.leaveOnTerminate ?? !server,
    skipLeaveOnInterrupt: merged.skipLeaveOnInterrupt ?? server,
  };
}

function queryTime(name: string, text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const ns = parseGoDuration(text);
  if (ns === undefined || ns <= 0) {
    throw configError(`${name}: invalid duration ${JSON.stringify(text)}`);
  }
  return ns / 1e6;
}

/**
 * resolveAgentConfig loads the config files and directories named by the flags (in command-line
 * order), merges them, lets flags win, applies Consul's defaults and validates the result.
 */
export function resolveAgentConfig(
  values: FlagValues,
  order: readonly { name: string; value: unknown }[],
): AgentConfig {
  const ignored: string[] = [];
  const merged: FileLayer = {};
  for (const { name, value } of order) {
    if (name !== 'config-file' && name !== 'config-dir') continue;
    const files = name === 'config-file' ? [String(value)] : configDirFiles(String(value));
    for (const file of files) {
      const layer = parseConfigFile(file, ignored);
      const services = [...(merged.services ?? []), ...(layer.services ?? [])];
      const checks = [...(merged.checks ?? []), ...(layer.checks ?? [])];
      const etcd: ReplicationLayer = { ...merged.etcd, ...layer.etcd };
      const endpoints = [...(merged.etcd?.endpoints ?? []), ...(layer.etcd?.endpoints ?? [])];
      if (endpoints.length > 0) etcd.endpoints = endpoints;
      Object.assign(merged, layer, { services, checks, etcd });
    }
  }
  const flag = <T>(name: string): T | undefined => values.get(name) as T | undefined;
  const dev = flag<boolean>('dev') ?? false;
  const logName = flag<string>('log-level') ?? merged.logLevel ?? 'info';
  const logLevel = parseAgentLogLevel(logName);
  if (!logLevel) {
    throw configError(
      `Invalid log level: ${JSON.stringify(logName)}. Valid log levels are: [TRACE DEBUG INFO WARN ERR]`,
    );
  }
  const dataDir = flag<string>('data-dir') ?? merged.dataDir;
  // Consul's config builder: data_dir is required outside -dev.
  if (!dev && (dataDir === undefined || dataDir === '')) {
    throw configError('data_dir cannot be empty');
  }
  const httpPort = flag<number>('http-port') ?? merged.httpPort ?? 8500;
  if (httpPort < 0 || httpPort > 65535) {
    throw configError(`http port ${httpPort} is out of range (0-65535)`);
  }
  const dnsPort = flag<number>('dns-port') ?? merged.dnsPort ?? 8600;
  if (dnsPort < -1 || dnsPort > 65535) {
    throw configError(`dns port ${dnsPort} is out of range (-1-65535)`);
  }
  const clientAddr = (flag<string>('client') ?? merged.clientAddr ?? '127.0.0.1').trim();
  if (clientAddr === '') throw configError('client_addr cannot be empty');
  const datacenter = flag<string>('datacenter') ?? merged.datacenter ?? 'dc1';
  if (!/^[a-z0-9_-]+$/i.test(datacenter)) {
    throw configError(
      `datacenter cannot be ${JSON.stringify(datacenter)}. Please use only [a-z0-9-_]`,
    );
  }
  const kvMaxValueSize = merged.kvMaxValueSize ?? 524288;
  if (kvMaxValueSize <= 0) throw configError('limits.kv_max_value_size must be > 0');
  const defaultQueryTimeMs = queryTime(
    'default_query_time',
    flag<string>('default-query-time') ?? merged.defaultQueryTime,
    300_000,
  );
  const maxQueryTimeMs = queryTime(
    'max_query_time',
    flag<string>('max-query-time') ?? merged.maxQueryTime,
    600_000,
  );
  const server = flag<boolean>('server') ?? merged.server ?? dev;
  return Object.freeze({
    dev,
    server,
    bootstrap: flag<boolean>('bootstrap') ?? merged.bootstrap ?? false,
    dataDir: dev ? undefined : dataDir,
    clientAddr,
    bindAddr: flag<string>('bind') ?? merged.bindAddr ?? '127.0.0.1',
    httpPort,
    nodeName: flag<string>('node') ?? merged.nodeName ?? hostname(),
    nodeId: flag<string>('node-id') ?? merged.nodeId,
    datacenter,
    pidFile: flag<string>('pid-file') ?? merged.pidFile,
    logLevel,
    kvMaxValueSize,
    txnMaxReqLen: merged.txnMaxReqLen,
    disableKvKeyValidation: merged.disableKvKeyValidation ?? false,
    defaultQueryTimeMs,
    maxQueryTimeMs,
    ignoredKeys: ignored,
    dnsPort,
    serviceDefinitions: merged.services ?? [],
    checkDefinitions: merged.checks ?? [],
    enableScriptChecks: merged.enableScriptChecks ?? false,
    dns: {
      domain: (merged.domain ?? 'consul').replace(/^\.+|\.+$/g, '') || 'consul',
      onlyPassing: merged.dnsConfig?.onlyPassing ?? false,
      udpAnswerLimit: Math.max(1, merged.dnsConfig?.udpAnswerLimit ?? 3),
      enableTruncate: merged.dnsConfig?.enableTruncate ?? false,
    },
    cluster: clusterSettings(flag, merged, server),
    replication: resolveReplication(
      flag,
      merged.etcd,
      {
        datacenter,
        server,
        dev,
        duration: queryTime,
      },
      (message) => configError(message),
    ),
  });
}
