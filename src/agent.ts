/**
 * The agent's composition root: the only module that wires a `confd agent` together. A **server**
 * holds the state (the store, its catalog and member table), answers the HTTP API, admits members
 * and watches them (src/membership). A **client** holds only its own services and checks: its HTTP
 * API answers `/v1/agent/*` itself and sends everything else to a server (src/forwarding), its
 * anti-entropy pushes its services into the servers' catalog, and its DNS answers from there.
 *
 * Ports: HTTP (and DNS) on the client address; the serf LAN port (every agent: joins, probes) and,
 * on servers, the server RPC port (membership requests of clients, forwarded API requests) on the
 * bind address. With an `-encrypt` key both cluster ports speak TLS-PSK (src/transport).
 */
import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgentServices, type AgentServices } from './agent-services.js';
import { realClock, type WatchClock } from './clock.js';
import type { AgentConfig } from './cli/agent-config.js';
import { ConfdError, ErrorCode, errorMessage } from './errors.js';
import { startAntiEntropy } from './forwarding/anti-entropy.js';
import { createForwarder } from './forwarding/proxy.js';
import type { Logger } from './log.js';
import {
  clientMembership,
  clusterPort,
  serverMembership,
  type AgentMembership,
} from './membership/agent-membership.js';
import { MembershipClient } from './membership/client.js';
import { hostPort } from './membership/address.js';
import { agentTags } from './membership/member-json.js';
import { memoryPeers, peersFile } from './membership/peers-file.js';
import { retryJoin } from './membership/retry-join.js';
import { rpcMembershipRoutes, serfPortHandler } from './membership/routes.js';
import { MembershipServer } from './membership/server.js';
import type { ClusterRequest, SelfMember } from './membership/types.js';
import { DataDirInUseError } from './store/dir-lock.js';
import { httpDnsView } from './store/dns/index.js';
import { consulVersion, createHttpApi, type HttpApi } from './store/http/index.js';
import { createStore, type StoreEngine } from './store/store.js';
import { createClusterClient, type ClusterClient } from './transport/client.js';
import { parseEncryptKey } from './transport/keys.js';
import { createClusterServer, type ClusterServer } from './transport/server.js';
import { consensusPort } from './replication/consensus-port.js';
import { openEtcdLog } from './replication/open.js';

/** AgentDeps are the agent's collaborators. */
export interface AgentDeps {
  /** Makes the logger of a subsystem (`agent`, `agent.http`, ...). */
  readonly logger: (name: string) => Logger;
  readonly clock?: WatchClock;
  /** Called after `PUT /v1/agent/leave` has left and answered: the agent should shut down. */
  readonly onLeave?: () => void;
}

/** RunningAgent is a started agent. */
export interface RunningAgent {
  readonly nodeId: string;
  readonly http: { readonly address: string; readonly port: number };
  /** The DNS port, or -1 when disabled or not bindable. */
  readonly dnsPort: number;
  readonly serfLanPort: number;
  /** The server RPC port; -1 on a client. */
  readonly serverPort: number;
  readonly membership: AgentMembership;
  /** Resolves true when the start-up join (if any) succeeded; false when retry_max ran out. */
  readonly joined: Promise<boolean>;
  /** Leaves the cluster gracefully (the agent keeps running until close). */
  leave(): Promise<void>;
  /** Stops every listener, loop and the store. Idempotent. */
  close(): Promise<void>;
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

/** startError is a start-up failure, printed by the CLI as `==> Error starting agent: <why>`. */
function startError(message: string, cause?: unknown): ConfdError {
  return new ConfdError(ErrorCode.CONFIG_INVALID, `Error starting agent: ${message}`, { cause });
}

/** Teardown collects the steps that undo a start, run in reverse order. */
class Teardown {
  readonly #steps: { name: string; run: () => Promise<unknown> }[] = [];
  #done: Promise<void> | undefined;

  add(name: string, run: () => Promise<unknown>): void {
    this.#steps.push({ name, run });
  }

  run(logger: Logger): Promise<void> {
    this.#done ??= (async () => {
      for (const step of this.#steps.reverse()) {
        logger.debug(`shutdown: stopping ${step.name}`);
        try {
          await step.run();
        } catch (err) {
          logger.error(`shutdown: stopping ${step.name}: ${errorMessage(err)}`);
        }
      }
    })();
    return this.#done;
  }
}

/**
 * startAgent starts an agent from its resolved configuration; a failure to start throws (after
 * undoing what had started) with the text the CLI prints.
 */
export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const logger = deps.logger('agent');
  const clock = deps.clock ?? realClock;
  const teardown = new Teardown();
  // Shutting down stops the loops first, then undoes the start in reverse order.
  const stop = new AbortController();
  const shutdown = () => {
    stop.abort();
    return teardown.run(logger);
  };
  try {
    return await start(config, deps, logger, clock, teardown, stop.signal, shutdown);
  } catch (err) {
    await shutdown();
    throw err;
  }
}

async function start(
  config: AgentConfig,
  deps: AgentDeps,
  logger: Logger,
  clock: WatchClock,
  teardown: Teardown,
  signal: AbortSignal,
  shutdown: () => Promise<void>,
): Promise<RunningAgent> {
  const { cluster } = config;
  if (config.dataDir !== undefined) {
    try {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      if (!statSync(config.dataDir).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw startError(`data_dir ${JSON.stringify(config.dataDir)}: ${errorMessage(err)}`, err);
    }
  }
  const nodeId = nodeIdFor(config);
  let key: Buffer | undefined;
  if (cluster.encrypt !== undefined) key = parseEncryptKey(cluster.encrypt);

  // The cluster ports listen first (a port 0 picks a free one, which the agent then advertises,
  // also in etcd); their handlers are set once membership exists, 503 until then.
  const notYet: RequestListener = (_req, res) => {
    res.writeHead(503, ['Content-Length', '0']);
    res.end();
  };
  let serfHandler: RequestListener = notYet;
  let rpcHandler: RequestListener = notYet;
  const serf: ClusterServer = createClusterServer({
    name: 'serf_lan',
    handler: (req, res) => serfHandler(req, res),
    key,
    logger: deps.logger('agent.server.serf.lan'),
  });
  teardown.add('serf LAN port', () => serf.close());
  let serfLanPort: number;
  let serverPort = -1;
  try {
    serfLanPort = (await serf.listen(cluster.serfLanPort, cluster.bindAddr)).port;
    if (config.server) {
      const rpc = createClusterServer({
        name: 'server',
        handler: (req, res) => rpcHandler(req, res),
        key,
        logger: deps.logger('agent.server.rpc'),
        maxHeaderBytes: 1 << 20,
      });
      teardown.add('server RPC port', () => rpc.close());
      serverPort = (await rpc.listen(cluster.serverPort, cluster.bindAddr)).port;
    }
  } catch (err) {
    throw startError(`cluster ports on ${cluster.bindAddr}: ${errorMessage(err)}`, err);
  }

  // The state: a server's store, or a client's local state (its own services and checks only).
  // A replicated server shares its log with the datacenter's other servers in etcd.
  const replicatedLog =
    config.server && config.replication
      ? await openEtcdLog(config.replication, {
          name: config.nodeName,
          id: nodeId,
          address: hostPort(cluster.advertiseAddr, serverPort),
          logger: deps.logger('agent.server.replication'),
        })
      : undefined;
  let store: StoreEngine;
  try {
    store = await createStore(
      config.server
        ? {
            dev: config.dev,
            dataDir: config.dataDir,
            nodeName: config.nodeName,
            replicatedLog,
            warn: (message) => logger.warn(message),
          }
        : { dev: true, nodeName: config.nodeName },
    );
  } catch (err) {
    const message =
      err instanceof DataDirInUseError
        ? `data_dir ${JSON.stringify(config.dataDir)} is in use by another agent (pid ${err.pid})`
        : errorMessage(err);
    throw startError(message, err);
  }
  teardown.add('store', () => store.close());

  // Connections to other agents leave from the bind address (any, when bound to all of them).
  const wildcard = cluster.bindAddr === '0.0.0.0' || cluster.bindAddr === '::';
  const transport: ClusterClient = createClusterClient({
    key,
    localAddress: wildcard ? undefined : cluster.bindAddr,
    logger: deps.logger('agent.rpc'),
  });
  teardown.add('cluster client', () => transport.close());
  const request: ClusterRequest = async (addr, init) => {
    const answer = await transport.request(addr, init);
    return { status: answer.status, body: answer.body };
  };

  let membershipServer: MembershipServer | undefined;
  let membershipClient: MembershipClient | undefined;

  /** callServer sends one API request to a server (a client's anti-entropy and DNS). */
  const callServer = async (
    method: string,
    path: string,
    body?: string,
    callSignal?: AbortSignal,
  ) => {
    const server = membershipClient?.server();
    if (server === undefined)
      throw new ConfdError(ErrorCode.CLUSTER_NO_SERVERS, 'No known Consul servers');
    const answer = await transport.request(
      server.addr.includes(':')
        ? `[${server.addr}]:${server.rpcPort}`
        : `${server.addr}:${server.rpcPort}`,
      { method, path, body, signal: callSignal, timeoutMs: 10_000 },
    );
    return { status: answer.status, body: answer.body.toString('utf8') };
  };

  let discovery: AgentServices;
  try {
    discovery = await startAgentServices(config, {
      nodeId,
      address: cluster.advertiseAddr,
      catalog: store,
      server: config.server,
      logger: deps.logger('agent'),
      dnsView: !config.server
        ? httpDnsView({
            datacenter: config.datacenter,
            request: (path, s) => callServer('GET', path, undefined, s),
            onlyPassing: config.dns.onlyPassing,
          })
        : undefined,
    });
  } catch (err) {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, errorMessage(err), { cause: err });
  }
  teardown.add('services and checks', () => discovery.close());

  const self: SelfMember = {
    name: config.nodeName,
    id: nodeId,
    addr: cluster.advertiseAddr,
    port: serfLanPort,
    tags: agentTags({
      server: config.server,
      datacenter: config.datacenter,
      nodeId,
      build: `${consulVersion}:confd`,
      serverPort,
      bootstrap: config.bootstrap || config.dev,
    }),
  };
  const timing = {
    probeIntervalMs: cluster.probeIntervalMs,
    suspicionMs: cluster.suspicionMs,
    reconnectTimeoutMs: cluster.reconnectTimeoutMs,
    // Serf checks every 15 s; a reconnect_timeout shorter than that (tests) is checked as often.
    reapIntervalMs: Math.min(15_000, Math.max(cluster.probeIntervalMs, cluster.reconnectTimeoutMs)),
  };

  let membership: AgentMembership;
  if (config.server) {
    membershipServer = new MembershipServer({
      store,
      self,
      request,
      logger: deps.logger('agent.server.serf.lan'),
      clock,
      timing,
      probeTimeoutMs: cluster.probeTimeoutMs,
      leading: replicatedLog && (() => replicatedLog.leading),
    });
    membership = serverMembership(membershipServer, self, request);
  } else {
    membershipClient = new MembershipClient({
      self,
      request,
      peers:
        config.dataDir === undefined
          ? memoryPeers()
          : peersFile(config.dataDir, deps.logger('agent.client.serf.lan')),
      logger: deps.logger('agent.client.serf.lan'),
      clock,
      suspicionMs: cluster.suspicionMs,
    });
    membership = clientMembership(membershipClient, self);
  }
  teardown.add('membership', () => membership.close());

  // A client's requests outside /v1/agent/ go to a server, reached over the server RPC port.
  const forward = membershipClient
    ? createForwarder({
        servers: () =>
          membershipClient
            .servers()
            .map((s) => ({ name: s.name, addr: s.addr, rpcPort: s.rpcPort })),
        dispatcher: transport.dispatcher,
        nodeName: config.nodeName,
        logger: deps.logger('agent.client'),
        onFailure: (s) => {
          const known = membershipClient.servers().find((k) => k.name === s.name);
          if (known) membershipClient.reportFailure(known);
        },
      })
    : undefined;

  const api: HttpApi = createHttpApi({
    store,
    logger: deps.logger('agent.http'),
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
    serverAddr: `${cluster.advertiseAddr}:${serverPort > 0 ? serverPort : cluster.serverPort}`,
    debugConfig: { DataDir: config.dataDir ?? '' },
    onLeave: () => deps.onLeave?.(),
    services: discovery.services,
    cluster: clusterPort(membership),
    consensus: replicatedLog && consensusPort(replicatedLog, config.nodeName),
    forward,
  });
  teardown.add('HTTP API', () => api.close());

  serfHandler = serfPortHandler(membership);
  if (membershipServer) {
    const internal = rpcMembershipRoutes(membership, membershipServer);
    rpcHandler = (req, res) => {
      if (!internal(req, res)) api.handler(req, res);
    };
  }

  // Membership starts once the cluster ports answer (probes and joins need them).
  if (membershipServer) await membershipServer.start();
  if (membershipClient) await membershipClient.start();

  const [host = '127.0.0.1'] = config.clientAddr.split(/\s+/);
  let bound: { port: number; address: string };
  try {
    bound = await api.listen(config.httpPort, host);
  } catch (err) {
    throw startError(`listen tcp ${host}:${config.httpPort}: ${errorMessage(err)}`, err);
  }
  const dnsPort = await discovery.startDns(host);

  if (membershipClient) {
    const ae = startAntiEntropy({
      local: store,
      nodeName: config.nodeName,
      call: (method, path, body) => callServer(method, path, body),
      logger: deps.logger('agent.anti_entropy'),
      clock,
      signal,
    });
    teardown.add('anti-entropy', () => ae.done);
  }

  const joined = retryJoin({
    addresses: cluster.retryJoin,
    join: async (address) => {
      await membership.join(address);
    },
    intervalMs: cluster.retryIntervalMs,
    max: cluster.retryMax,
    logger,
    clock,
    signal,
  });

  return {
    nodeId,
    http: bound,
    dnsPort,
    serfLanPort,
    serverPort,
    membership,
    joined,
    leave: () => membership.leave(),
    close: shutdown,
  };
}
