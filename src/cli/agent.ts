/**
 * `confd agent`: runs the bundled Consul-compatible store and serves its HTTP API, with
 * `consul agent`'s flags, JSON config files and start-up output. SIGINT/SIGTERM stop it cleanly
 * (parked blocking queries end, the store is flushed and closed) with exit code 0.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { createHttpApi, consulVersion } from '../store/http/index.js';
import type { HttpApi } from '../store/http/index.js';
import { DataDirInUseError } from '../store/dir-lock.js';
import { createStore } from '../store/store.js';
import type { Store } from '../store/types.js';
import type { AgentConfig } from './agent-config.js';
import { agentFlags, resolveAgentConfig } from './agent-config.js';
import { formatFlagUsage, parseGoFlags } from './agent-flags.js';
import { createAgentLogger } from './agent-log.js';
import { startAgentServices, type AgentServices } from './agent-services.js';
import { isCatalogStore } from '../store/catalog/catalog-store.js';
import type { Logger } from '../log.js';
import type { CommandIo } from './io.js';

const usageHead = `Usage: confd agent [options]

  Starts the bundled Consul-compatible KV store and runs until an interrupt is received.

Options:

`;

/** agentUsage is the help text of `confd agent`. */
export function agentUsage(): string {
  return usageHead + formatFlagUsage(agentFlags);
}

/** nodeIdFor reads or creates `<data-dir>/node-id`, as Consul persists its node ID. */
function nodeIdFor(config: AgentConfig): string {
  if (config.nodeId) return config.nodeId;
  if (config.dataDir === undefined) return randomUUID();
  const file = join(config.dataDir, 'node-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id !== '') return id;
  } catch {
    // not written yet
  }
  const id = randomUUID();
  writeFileSync(file, id, { mode: 0o600 });
  return id;
}

function banner(
  config: AgentConfig,
  nodeId: string,
  address: string,
  port: number,
  dnsPort: number,
): string {
  const cluster = config.bindAddr === '0.0.0.0' ? '127.0.0.1' : config.bindAddr;
  const rows: [string, string][] = [
    ['Version', `'${consulVersion}'`],
    ['Build Date', "'2025-01-01 00:00:00 +0000 UTC'"],
    ['Node ID', `'${nodeId}'`],
    ['Node name', `'${config.nodeName}'`],
    ['Datacenter', `'${config.datacenter}' (Segment: '<all>')`],
    ['Server', `true (Bootstrap: ${config.bootstrap || config.dev})`],
    [
      'Client Addr',
      `[${address}] (HTTP: ${port}, HTTPS: -1, gRPC: -1, gRPC-TLS: -1, DNS: ${dnsPort})`,
    ],
    ['Cluster Addr', `${cluster} (LAN: 8301, WAN: 8302)`],
    ['Gossip Encryption', 'false'],
    ['Auto-Encrypt-TLS', 'false'],
    ['ACL Enabled', 'false'],
    ['ACL Default Policy', 'allow'],
    ['Data Dir', config.dataDir === undefined ? '(in memory)' : config.dataDir],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `    ${k.padStart(width)}: ${v}`);
  return `${lines.join('\n')}\n\n==> Log data will now stream in as it occurs:\n\n`;
}

/** run is the entry point of `confd agent`. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseGoFlags(argv, agentFlags);
  if (!parsed.ok) {
    if (parsed.help) {
      io.stderr(agentUsage());
      return 0;
    }
    // Go's flag package: the error, then the usage, exit 2.
    io.stderr(`${parsed.error}\n${agentUsage()}`);
    return 2;
  }
  if (parsed.rest.length > 0) {
    io.stderr(`==> Unexpected extra arguments: ${JSON.stringify(parsed.rest)}\n${agentUsage()}`);
    return 1;
  }
  let config: AgentConfig;
  try {
    config = resolveAgentConfig(parsed.values, parsed.order);
  } catch (err) {
    io.stderr(`==> ${errorMessage(err)}\n`);
    return 1;
  }
  const logger = createAgentLogger({ level: config.logLevel, name: 'agent', write: io.stdout });
  for (const key of config.ignoredKeys) logger.warn(`config: ignoring unsupported key ${key}`);

  io.stdout('==> Starting Consul agent...\n');
  // Listen for signals before announcing anything, so that a stop right after start is clean.
  const stopSignal = waitForStopSignal(io);
  try {
    return await serve(config, io, logger, stopSignal);
  } finally {
    stopSignal.dispose();
  }
}

/**
 * waitForStopSignal resolves on the first SIGINT or SIGTERM until disposed; a second one forces
 * exit 1 (a stuck shutdown can still be interrupted). SIGHUP, which Consul answers with a config
 * reload, is logged and otherwise ignored instead of killing the agent.
 */
function waitForStopSignal(io: CommandIo): {
  promise: Promise<NodeJS.Signals | 'leave'>;
  leave(): void;
  dispose(): void;
} {
  let caught = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  let leave = () => {};
  const promise = new Promise<NodeJS.Signals | 'leave'>((resolve) => {
    leave = () => {
      if (caught) return;
      caught = true;
      resolve('leave');
    };
    onSignal = (signal) => {
      if (caught) {
        io.stderr(`==> Caught second signal ${signal}. Exiting\n`);
        process.exit(1);
      }
      caught = true;
      resolve(signal);
    };
  });
  const onHangup = () => {
    io.stdout('==> Caught signal: hangup\n==> Reloading configuration is not supported; ignored\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  return {
    promise,
    leave: () => leave(),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
    },
  };
}

async function serve(
  config: AgentConfig,
  io: CommandIo,
  logger: Logger,
  stopSignal: { promise: Promise<NodeJS.Signals | 'leave'>; leave(): void },
): Promise<number> {
  let nodeId: string;
  try {
    if (config.dataDir !== undefined) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      if (!statSync(config.dataDir).isDirectory()) {
        throw new Error(`data_dir ${JSON.stringify(config.dataDir)} is not a directory`);
      }
    }
    nodeId = nodeIdFor(config);
  } catch (err) {
    io.stderr(`==> Error starting agent: ${errorMessage(err)}\n`);
    return 1;
  }

  let store: Store;
  try {
    store = await createStore({
      dev: config.dev,
      dataDir: config.dataDir,
      nodeName: config.nodeName,
    });
  } catch (err) {
    // The store's LOCK file keeps a second agent off the data dir; say so in the agent's words.
    const message =
      err instanceof DataDirInUseError
        ? `data_dir ${JSON.stringify(config.dataDir)} is in use by another agent (pid ${err.pid})`
        : errorMessage(err);
    io.stderr(`==> Error starting agent: ${message}\n`);
    return 1;
  }

  const serverHost = config.bindAddr === '0.0.0.0' ? '127.0.0.1' : config.bindAddr;
  let discovery: AgentServices;
  try {
    discovery = await startAgentServices(config, {
      nodeId,
      address: serverHost,
      catalog: isCatalogStore(store) ? store : undefined,
      logger: createAgentLogger({ level: config.logLevel, name: 'agent', write: io.stdout }),
    });
  } catch (err) {
    await store.close().catch(() => undefined);
    io.stderr(`==> ${errorMessage(err)}\n`);
    return 1;
  }
  const api: HttpApi = createHttpApi({
    store,
    logger: createAgentLogger({ level: config.logLevel, name: 'agent.http', write: io.stdout }),
    datacenter: config.datacenter,
    nodeName: config.nodeName,
    nodeId,
    pretty: config.dev,
    dev: config.dev,
    bootstrap: config.bootstrap || config.dev,
    kvMaxValueSize: config.kvMaxValueSize,
    txnMaxReqLen: config.txnMaxReqLen,
    disableKvKeyValidation: config.disableKvKeyValidation,
    defaultQueryTimeMs: config.defaultQueryTimeMs,
    maxQueryTimeMs: config.maxQueryTimeMs,
    serverAddr: `${serverHost}:8300`,
    debugConfig: { DataDir: config.dataDir ?? '' },
    onLeave: () => stopSignal.leave(),
    services: discovery.services,
  });

  const [host = '127.0.0.1', ...more] = config.clientAddr.split(/\s+/);
  let bound: { port: number; address: string };
  try {
    bound = await api.listen(config.httpPort, host);
  } catch (err) {
    await discovery.close();
    await store.close().catch(() => undefined);
    io.stderr(
      `==> Error starting agent: listen tcp ${host}:${config.httpPort}: ${errorMessage(err)}\n`,
    );
    return 1;
  }
  if (config.pidFile !== undefined) {
    try {
      writeFileSync(config.pidFile, String(process.pid));
    } catch (err) {
      logger.error(`cannot write pid file: ${errorMessage(err)}`);
    }
  }
  const dnsPort = await discovery.startDns(host);
  io.stdout(banner(config, nodeId, bound.address, bound.port, dnsPort));
  if (more.length > 0) logger.warn(`only the first client address is served: ${host}`);
  logger.info(`Started HTTP server: address=${bound.address}:${bound.port} network=tcp`);
  logger.info(`New leader elected: payload=${config.nodeName}`);
  io.stdout('==> Consul agent running!\n');

  const reason = await stopSignal.promise;
  if (reason === 'leave') io.stdout('==> Gracefully shutting down agent...\n');
  else io.stdout(`==> Caught signal: ${reason === 'SIGINT' ? 'interrupt' : 'terminated'}\n`);
  logger.info('Requesting shutdown');
  let code = 0;
  try {
    await api.close();
    logger.info('Endpoints down');
  } catch (err) {
    logger.error(`closing the HTTP API failed: ${errorMessage(err)}`);
    code = 1;
  }
  await discovery.close();
  try {
    await store.close();
  } catch (err) {
    logger.error(`closing the store failed: ${errorMessage(err)}`);
    code = 1;
  }
  if (config.pidFile !== undefined) rmSync(config.pidFile, { force: true });
  logger.info('shutdown complete');
  // A leaked handle must never keep a stopped agent alive.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
