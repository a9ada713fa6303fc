/**
 * `confd agent`: parses `consul agent`'s flags and JSON config files, starts the agent (src/agent.ts:
 * a server holding the state, or a client forwarding to one) and prints Consul's start-up output.
 * SIGINT/SIGTERM stop it cleanly with exit code 0; a client leaves the cluster first, as Consul's
 * clients do by default (`leave_on_terminate`, `skip_leave_on_interrupt`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { startAgent, type RunningAgent } from '../agent.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { consulVersion } from '../store/http/index.js';
import type { AgentConfig } from './agent-config.js';
import { agentFlags, resolveAgentConfig } from './agent-config.js';
import { formatFlagUsage, parseGoFlags } from './agent-flags.js';
import { createAgentLogger } from './agent-log.js';
import type { CommandIo } from './io.js';

const usageHead = `Usage: confd agent [options]

  Starts the bundled Consul-compatible KV store and runs until an interrupt is received.

Options:

`;

/** agentUsage is the help text of `confd agent`. */
export function agentUsage(): string {
  return usageHead + formatFlagUsage(agentFlags);
}

function banner(config: AgentConfig, agent: RunningAgent): string {
  const { nodeId, dnsPort } = agent;
  const { address, port } = agent.http;
  const rows: [string, string][] = [
    ['Version', `'${consulVersion}'`],
    ['Build Date', "'2025-01-01 00:00:00 +0000 UTC'"],
    ['Node ID', `'${nodeId}'`],
    ['Node name', `'${config.nodeName}'`],
    ['Datacenter', `'${config.datacenter}' (Segment: '<all>')`],
    [
      'Server',
      `${config.server} (Bootstrap: ${config.server && (config.bootstrap || config.dev)})`,
    ],
    [
      'Client Addr',
      `[${address}] (HTTP: ${port}, HTTPS: -1, gRPC: -1, gRPC-TLS: -1, DNS: ${dnsPort})`,
    ],
    [
      'Cluster Addr',
      `${config.cluster.advertiseAddr} (LAN: ${config.cluster.serfLanPort}, WAN: 8302)`,
    ],
    ['Gossip Encryption', String(config.cluster.encrypt !== undefined)],
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
  let agent: RunningAgent;
  try {
    agent = await startAgent(config, {
      logger: (name) => createAgentLogger({ level: config.logLevel, name, write: io.stdout }),
      onLeave: () => stopSignal.leave(),
    });
  } catch (err) {
    io.stderr(`==> ${errorMessage(err)}\n`);
    return 1;
  }
  if (config.pidFile !== undefined) {
    try {
      writeFileSync(config.pidFile, String(process.pid));
    } catch (err) {
      logger.error(`cannot write pid file: ${errorMessage(err)}`);
    }
  }
  const [host = '127.0.0.1', ...more] = config.clientAddr.split(/\s+/);
  io.stdout(banner(config, agent));
  if (more.length > 0) logger.warn(`only the first client address is served: ${host}`);
  logger.info(`Started HTTP server: address=${agent.http.address}:${agent.http.port} network=tcp`);
  // A lone server leads at once; replicated servers log their elections themselves.
  if (config.server && !config.replication) {
    logger.info(`New leader elected: payload=${config.nodeName}`);
  }
  io.stdout('==> Consul agent running!\n');

  // retry_max used up: Consul exits 1.
  const exhausted = agent.joined.then((ok) =>
    ok ? new Promise<never>(() => {}) : ('exhausted' as const),
  );
  const reason = await Promise.race([stopSignal.promise, exhausted]);
  let code = 0;
  if (reason === 'exhausted') code = 1;
  else if (reason === 'leave') io.stdout('==> Gracefully shutting down agent...\n');
  else io.stdout(`==> Caught signal: ${reason === 'SIGINT' ? 'interrupt' : 'terminated'}\n`);
  // A client leaves on SIGTERM and SIGINT by default, a server on neither (Consul's defaults).
  const leaves =
    (reason === 'SIGTERM' && config.cluster.leaveOnTerminate) ||
    (reason === 'SIGINT' && !config.cluster.skipLeaveOnInterrupt);
  if (leaves) {
    logger.info('Gracefully shutting down agent...');
    try {
      await agent.leave();
      logger.info('Graceful leave complete');
    } catch (err) {
      logger.error(`Error leaving: ${errorMessage(err)}`);
    }
  }
  logger.info('Requesting shutdown');
  await agent.close();
  logger.info('Endpoints down');
  if (config.pidFile !== undefined) rmSync(config.pidFile, { force: true });
  logger.info('shutdown complete');
  // A leaked handle must never keep a stopped agent alive.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
