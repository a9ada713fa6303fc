/**
 * Service discovery for `confd agent`: the catalog, this node's local agent (its `serfHealth`
 * check, on a server the `consul` service, the `service`/`check` definitions of its config files
 * and their health checks), user events, and the DNS interface on `-dns-port`. A client agent's
 * catalog is its local state only (anti-entropy pushes it to the servers), and its DNS answers
 * from the servers' catalog.
 */
import { ConfdError, ErrorCode, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import {
  EventLog,
  LocalAgent,
  MemoryCatalogStore,
  parseCheck,
  parseServiceDefinition,
  type CatalogStore,
} from './store/catalog/index.js';
import {
  catalogDnsView,
  startDnsServer,
  type DnsCatalogView,
  type DnsServer,
} from './store/dns/index.js';
import type { ServiceDiscovery } from './store/http/index.js';
import type { AgentConfig } from './cli/agent-config.js';

/** AgentServices is the running service-discovery half of the agent. */
export interface AgentServices {
  readonly services: ServiceDiscovery;
  /** Starts the DNS interface; resolves to its port, or -1 when disabled or not bindable. */
  startDns(host: string): Promise<number>;
  /** Stops DNS and the health checks. Idempotent. */
  close(): Promise<void>;
}

/** AgentServicesOptions are what {@link startAgentServices} needs besides the config. */
export interface AgentServicesOptions {
  readonly nodeId: string;
  /** The node's advertised address. */
  readonly address: string;
  readonly logger: Logger;
  /** The catalog: the store engine (through its log); default an in-memory one. */
  readonly catalog?: CatalogStore;
  /** A server registers the `consul` service. Default true. */
  readonly server?: boolean;
  /** What DNS answers from. Default the catalog above (a client passes its servers' view). */
  readonly dnsView?: DnsCatalogView;
}

/**
 * startAgentServices registers this node and the config files' services and checks; a bad
 * definition fails with CONFIG_INVALID naming its file.
 */
export async function startAgentServices(
  config: AgentConfig,
  options: AgentServicesOptions,
): Promise<AgentServices> {
  const catalog = options.catalog ?? new MemoryCatalogStore();
  const agent = new LocalAgent({
    store: catalog,
    logger: options.logger,
    nodeName: config.nodeName,
    nodeId: options.nodeId,
    address: options.address,
    datacenter: config.datacenter,
    server: options.server ?? true,
    enableScriptChecks: config.enableScriptChecks,
  });
  const fail = async (file: string, what: string, message: string): Promise<never> => {
    await agent.close();
    throw new ConfdError(ErrorCode.CONFIG_INVALID, `Error parsing ${file}: ${what}: ${message}`);
  };
  await agent.start();
  for (const { file, definition } of config.serviceDefinitions) {
    // Config files hold durations as strings (Consul's config decoder refuses numbers).
    const parsed = parseServiceDefinition(definition, config.nodeName, 'config');
    if (!parsed.ok) return fail(file, 'service', parsed.message);
    try {
      await agent.registerService(parsed.value);
    } catch (err) {
      return fail(file, 'service', errorMessage(err));
    }
  }
  for (const { file, definition } of config.checkDefinitions) {
    const parsed = parseCheck(definition, {
      node: config.nodeName,
      requireType: true,
      source: 'config',
    });
    if (!parsed.ok) return fail(file, 'check', parsed.message);
    try {
      await agent.registerCheck(parsed.value);
    } catch (err) {
      return fail(file, 'check', errorMessage(err));
    }
  }
  const events = new EventLog();
  let dns: DnsServer | undefined;
  let closed: Promise<void> | undefined;
  return {
    services: { catalog, agent, events },
    async startDns(host: string): Promise<number> {
      if (config.dnsPort < 0) return -1;
      try {
        dns = await startDnsServer({
          view:
            options.dnsView ??
            catalogDnsView({
              catalog: () => catalog.catalogState(),
              datacenter: config.datacenter,
              onlyPassing: config.dns.onlyPassing,
            }),
          domain: config.dns.domain,
          udpAnswerLimit: config.dns.udpAnswerLimit,
          enableTruncate: config.dns.enableTruncate,
          logger: options.logger,
          host,
          port: config.dnsPort,
        });
      } catch (err) {
        // Unlike Consul, a DNS port in use does not stop the agent: the KV store stays usable.
        options.logger.error(`DNS server not started: ${errorMessage(err)}`);
        return -1;
      }
      options.logger.info(`Started DNS server: address=${host}:${dns.port} network=udp+tcp`);
      return dns.port;
    },
    close(): Promise<void> {
      closed ??= Promise.all([dns?.close(), agent.close()]).then(() => undefined);
      return closed;
    },
  };
}
