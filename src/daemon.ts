/**
 * The composition root: the only module that wires concrete parts together. It opens the backend
 * (for `embedded`: the bundled store in process plus its HTTP API on `-store-addr`), the template
 * engines and the target syncer, loads the template resources, and runs one of confd's three modes:
 * `-onetime`, `-watch` (prefix subscriptions) or interval polling.
 *
 * Heavy modules (store, HTTP server, backends, engines, execa) are loaded with `import()` only when
 * used, to keep `confd -onetime` start-up lean.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type { Backend, BackendConfig } from './backends/types.js';
import type { ConfdConfig, EmbeddedMember } from './config.js';
import type { TargetSyncer } from './reload/types.js';
import { ConfdError, ErrorCode, errorMessage, isConfdError } from './errors.js';
import type { Logger } from './log.js';
import { prefixedLogger } from './log.js';
import type { TemplateResource } from './resource.js';
import { loadResources } from './resource.js';
import type {
  LookupRequest,
  ServiceLookupRequest,
  TemplateEngine,
  TemplateEngineName,
} from './template/types.js';
import type { Backoff } from './watcher/backoff.js';
import { createBackoff } from './watcher/backoff.js';
import { startIntervalLoop } from './watcher/interval-loop.js';
import type { ResourceProcessor } from './watcher/processor.js';
import { createProcessor } from './watcher/processor.js';
import type { Quiescence } from './watcher/quiescence.js';
import { createQuiescence } from './watcher/quiescence.js';
import type { SerialRunner } from './watcher/runner.js';
import { createSerialRunner } from './watcher/runner.js';
import type { ServiceWatches } from './watcher/service-watches.js';
import { createServiceWatches } from './watcher/service-watches.js';
import type { Subscriptions } from './watcher/subscriptions.js';
import { startSubscriptions } from './watcher/subscriptions.js';
import type { WatchClock } from './clock.js';
import type { CompileFn, TemplateCache } from './watcher/template-cache.js';
import { createTemplateCache } from './watcher/template-cache.js';

/** DaemonOptions configures {@link createDaemon}. */
export interface DaemonOptions {
  config: ConfdConfig;
  logger: Logger;
  /** The environment templates see (getenv) and backends read. */
  env: Readonly<Record<string, string | undefined>>;
  /** The clock for templates. Default Date.now. */
  now?: () => number;
  /** The clock and timers of the watch loops (their retry delays). Default the process's. */
  watchClock?: WatchClock;
  /** Aborting it is close(): stop watching, finish the render in flight, close everything. */
  signal?: AbortSignal;
}

/** Daemon is a configured confd run. */
export interface Daemon {
  /** Runs the configured mode; resolves to the exit code (after close() in daemon modes). */
  run(): Promise<number>;
  /**
   * Re-reads conf.d and the templates (SIGHUP). The new set replaces the old one only if every
   * file loads and every template compiles; resolves whether it was applied.
   */
  reload(): Promise<boolean>;
  /** Stops watching, lets the render in flight finish, closes everything. Idempotent. */
  close(): Promise<void>;
}

/** CONFD_BACKENDS are the names confd accepts for -backend, plus our `embedded`. */
const KNOWN_BACKENDS = new Set([
  'embedded',
  'consul',
  'etcd',
  'etcdv3',
  'zookeeper',
  'rancher',
  'redis',
  'env',
  'file',
  'vault',
  'dynamodb',
  'ssm',
]);

/** Backends that cannot watch; confd exits with "Watch is not supported" for them. */
const UNWATCHABLE_BACKENDS = new Set(['dynamodb', 'ssm']);

/** splitHostPort parses `host:port` (`[::1]:8500` for IPv6). */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, `store-addr: want host:port, got "${addr}"`);
  }
  const port = Number(m[3]);
  if (port > 65535) {
    throw new ConfdError(ErrorCode.CONFIG_INVALID, `store-addr: invalid port in "${addr}"`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** backendConfigOf extracts what the backends read from the daemon's config. */
function backendConfigOf(config: ConfdConfig, nodes: readonly string[]): BackendConfig {
  return {
    backend: config.backend,
    nodes: [...nodes],
    scheme: config.scheme,
    clientCert: config.clientCert || undefined,
    clientKey: config.clientKey || undefined,
    clientCaKeys: config.clientCaKeys || undefined,
    basicAuth: config.basicAuth,
    username: config.username || undefined,
    password: config.password || undefined,
    authToken: config.authToken || undefined,
    files: [...config.files],
    filter: config.filter,
    separator: config.separator || undefined,
    table: config.table || undefined,
  };
}

/** createCompiler compiles with the named engine, importing each engine on first use. */
function createCompiler(): CompileFn {
  const engines = new Map<TemplateEngineName, Promise<TemplateEngine>>();
  return async (engine, source, name) => {
    let loaded = engines.get(engine);
    if (!loaded) {
      loaded = loadEngine(engine);
      engines.set(engine, loaded);
    }
    return (await loaded).compile(source, name);
  };
}

/** loadEngine imports one template engine by name (each only when a template needs it). */
async function loadEngine(name: TemplateEngineName): Promise<TemplateEngine> {
  if (name === 'handlebars')
    return (await import('./template/handlebars.js')).createHandlebarsEngine();
  return (await import('./template/go/index.js')).goTemplateEngine;
}

/**
 * isRetryable tells whether a failed watch-mode pass is worth retrying on a timer: the backend
 * could not be read, or reload_cmd failed (the reload stays pending). Template and check_cmd
 * failures need a change of keys or files, so they wait for the next change.
 */
function isRetryable(err: unknown): boolean {
  return [
    ErrorCode.BACKEND_UNREACHABLE,
    ErrorCode.BACKEND_RESPONSE,
    ErrorCode.RELOAD_COMMAND_FAILED,
    ErrorCode.RELOAD_COMMAND_TIMEOUT,
  ].some((code) => isConfdError(err, code));
}

/** createDaemon builds a daemon; nothing starts until run(). */
export function createDaemon(options: DaemonOptions): Daemon {
  return new ConfdDaemon(options);
}

class ConfdDaemon implements Daemon {
  readonly #config: ConfdConfig;
  readonly #logger: Logger;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #now: () => number;
  readonly #watchClock: WatchClock | undefined;
  readonly #stop = new AbortController();
  /** Teardown steps, run in reverse order. */
  readonly #closers: (() => Promise<void>)[] = [];
  #backend: Backend | undefined;
  /** The catalog lookups templates use, watched in -watch. */
  #serviceWatches: ServiceWatches | undefined;
  #processor: ResourceProcessor | undefined;
  #templates: TemplateCache | undefined;
  #runner: SerialRunner | undefined;
  #resources = new Map<string, TemplateResource>();
  #subscriptions: Subscriptions | undefined;
  #quiescence: Quiescence | undefined;
  #triggerInterval: (() => void) | undefined;
  #running: Promise<number> | undefined;
  #closing: Promise<void> | undefined;
  #reloading: Promise<boolean> = Promise.resolve(true);

  constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#env = options.env;
    this.#now = options.now ?? Date.now;
    this.#watchClock = options.watchClock;
    const { signal } = options;
    if (signal?.aborted) void this.close();
    else signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  run(): Promise<number> {
    this.#running ??= this.#run();
    return this.#running;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort();
      if (this.#running) await this.#running.catch(() => 1);
      else await this.#teardown();
    })();
    return this.#closing;
  }

  reload(): Promise<boolean> {
    this.#reloading = this.#reloading.then(
      () => this.#reload(),
      () => this.#reload(),
    );
    return this.#reloading;
  }

  async #run(): Promise<number> {
    try {
      const started = await this.#start();
      if (started !== undefined) return started;
      if (this.#stop.signal.aborted) return 0;
      if (this.#config.onetime) return await this.#runOnce();
      if (this.#config.watch) return await this.#runWatch();
      return await this.#runInterval();
    } catch (err) {
      this.#logger.fatal(errorMessage(err));
      return 1;
    } finally {
      await this.#teardown();
    }
  }

  /** #start logs the start-up lines and opens backend, engines and syncer; a number = exit now. */
  async #start(): Promise<number | undefined> {
    const config = this.#config;
    const logger = this.#logger;
    let nodes = config.nodes;
    let srvRecord = config.srvRecord;
    if (srvRecord === '' && config.srvDomain !== '') {
      srvRecord = `_${config.backend}._tcp.${config.srvDomain}.`;
    }
    if (srvRecord !== '' && config.backend !== 'env') {
      logger.info(`SRV record set to ${srvRecord}`);
      try {
        const { resolveSrv } = await import('node:dns/promises');
        const records = await resolveSrv(srvRecord);
        const scheme = config.backend === 'etcd' || config.backend === 'etcdv3';
        nodes = records.map((r) => `${scheme ? `${config.scheme}://` : ''}${r.name}:${r.port}`);
      } catch (err) {
        logger.fatal(`Cannot get nodes from SRV records ${errorMessage(err)}`);
        return 1;
      }
    }
    logger.info(`Backend set to ${config.backend}`);
    if (config.watch && UNWATCHABLE_BACKENDS.has(config.backend)) {
      logger.info(`Watch is not supported for backend ${config.backend}. Exiting...`);
      return 1;
    }
    logger.info('Starting confd');
    const sources = config.backend === 'file' ? config.files : nodes;
    logger.info(`Backend source(s) set to ${sources.join(', ')}`);
    if (!KNOWN_BACKENDS.has(config.backend)) {
      logger.fatal('Invalid backend');
      return 1;
    }

    this.#backend = await this.#openBackend(nodes);
    this.#templates = createTemplateCache(createCompiler());
    // The syncer (execa, diff) and the DNS resolver load on first use only.
    let syncer: Promise<TargetSyncer> | undefined;
    const loadSyncer = () =>
      (syncer ??= import('./reload/target-syncer.js').then((m) =>
        m.createTargetSyncer({ logger, commandTimeoutMs: config.commandTimeoutMs }),
      ));
    this.#processor = createProcessor({
      backend: this.#backend,
      syncer: { sync: async (request) => (await loadSyncer()).sync(request) },
      templates: this.#templates,
      resolveLookups: (requests, resource) => this.#resolveLookups(requests, resource),
      resolveOwner: async (o, g) => (await import('./reload/resolve-owner.js')).resolveOwner(o, g),
      logger,
      env: this.#env,
      now: this.#now,
      noop: config.noop,
      syncOnly: config.syncOnly,
      keepStageFile: config.keepStageFile,
    });
    return undefined;
  }

  /**
   * Resolves a render's lookups: DNS ones through the system resolver, catalog ones (`service`,
   * `services`, `nodes`) through the backend, which must be consul or embedded.
   */
  async #resolveLookups(
    requests: ReadonlyMap<string, LookupRequest>,
    resource: string,
  ): Promise<Map<string, unknown>> {
    const dns = new Map<string, LookupRequest>();
    const catalog: [string, ServiceLookupRequest][] = [];
    for (const [id, request] of requests) {
      if (request.kind === 'ip' || request.kind === 'srv') dns.set(id, request);
      else catalog.push([id, request]);
    }
    const resolved =
      dns.size === 0
        ? new Map<string, unknown>()
        : await (await import('./template/functions-lookup.js')).resolveLookups(dns);
    const backend = this.#backend;
    for (const [id, request] of catalog) {
      if (backend?.getServices === undefined) {
        throw new ConfdError(
          ErrorCode.CONFIG_INVALID,
          `service lookups need the consul or embedded backend (got ${backend?.name ?? 'none'})`,
        );
      }
      resolved.set(id, await backend.getServices(request));
      this.#serviceWatches?.use(id, request, resource);
    }
    return resolved;
  }

  /** #openBackend opens the configured backend; for `embedded`, the store and its HTTP API. */
  async #openBackend(nodes: readonly string[]): Promise<Backend> {
    const config = this.#config;
    if (config.member) return this.#openMember(config.member);
    if (config.backend !== 'embedded') {
      const { createBackend } = await import('./backends/index.js');
      const backend = await createBackend(backendConfigOf(config, nodes), {
        logger: this.#logger,
        env: this.#env,
      });
      this.#closers.push(() => backend.close());
      return backend;
    }
    const [{ createStore }, { createEmbeddedBackend }] = await Promise.all([
      import('./store/store.js'),
      import('./backends/embedded.js'),
    ]);
    const nodeName = hostname();
    const store = await createStore(
      config.dataDir === undefined
        ? { dev: true, nodeName }
        : { dataDir: config.dataDir, nodeName },
    );
    this.#closers.push(() => store.close());
    // -onetime renders once and exits: nobody could use the HTTP API, so it is not started.
    if (!config.onetime) {
      const { host, port } = splitHostPort(config.storeAddr);
      const { createHttpApi } = await import('./store/http/index.js');
      // The catalog routes (agent services, health, catalog) so templates' `service` lookups
      // have something to read; the local agent runs the registered health checks.
      const { LocalAgent, EventLog } = await import('./store/catalog/index.js');
      const agent = new LocalAgent({
        store,
        logger: this.#logger,
        nodeName,
        nodeId: randomUUID(),
        address: host === '0.0.0.0' || host === '' ? '127.0.0.1' : host,
        datacenter: 'dc1',
        server: true,
        enableScriptChecks: false,
      });
      await agent.start();
      this.#closers.push(() => agent.close());
      const services = { catalog: store, agent, events: new EventLog() };
      const api = createHttpApi({ store, nodeName, logger: this.#logger, services });
      this.#closers.push(() => api.close());
      const bound = await api.listen(port, host);
      this.#logger.info(`Store HTTP API listening on ${bound.address}:${bound.port}`);
    }
    const backend = createEmbeddedBackend({ store, catalog: store });
    this.#closers.push(() => backend.close());
    return backend;
  }

  /**
   * #openMember makes the embedded node a client agent of a cluster (src/agent.ts): it joins the
   * given agents, serves the local HTTP API on -store-addr (requests outside /v1/agent/ go to the
   * cluster's servers), and the daemon reads through that API with the consul backend. Rendering
   * starts once the join succeeded.
   */
  async #openMember(member: EmbeddedMember): Promise<Backend> {
    const config = this.#config;
    const [{ startAgent }, { resolveAgentConfig }, { createConsulBackend }] = await Promise.all([
      import('./agent.js'),
      import('./cli/agent-config.js'),
      import('./backends/consul.js'),
    ]);
    const { host, port } = splitHostPort(config.storeAddr);
    const flags = new Map<string, string | number | boolean | string[]>([
      ['data-dir', config.dataDir ?? ''],
      ['node', member.nodeName ?? hostname()],
      ['datacenter', member.datacenter],
      ['bind', member.bind],
      ['serf-lan-port', member.serfLanPort],
      ['client', host],
      ['http-port', port],
      ['dns-port', -1],
      ['retry-join', [...member.join]],
      ['log-level', config.logLevel === 'debug' ? 'debug' : 'info'],
    ]);
    if (member.advertise !== undefined) flags.set('advertise', member.advertise);
    if (member.encrypt !== undefined) flags.set('encrypt', member.encrypt);
    const agent = await startAgent(resolveAgentConfig(flags, []), {
      logger: (name) => prefixedLogger(this.#logger, name),
    });
    // Stopping the daemon leaves the cluster first, as a client agent does on SIGTERM or SIGINT.
    this.#closers.push(async () => {
      await agent
        .leave()
        .catch((err: unknown) => this.#logger.warn(`leaving the cluster: ${errorMessage(err)}`));
      await agent.close();
    });
    this.#logger.info(`Store HTTP API listening on ${agent.http.address}:${agent.http.port}`);
    if (!(await agent.joined)) {
      throw new ConfdError(
        ErrorCode.CONFIG_INVALID,
        `cannot join the cluster at ${member.join.join(', ')}`,
      );
    }
    const api = agent.http.address.includes(':')
      ? `[${agent.http.address}]:${agent.http.port}`
      : `${agent.http.address}:${agent.http.port}`;
    const backend = await createConsulBackend({
      node: api,
      name: 'embedded',
      logger: this.#logger,
    });
    this.#closers.push(() => backend.close());
    return backend;
  }

  async #teardown(): Promise<void> {
    this.#stop.abort();
    await this.#subscriptions?.close();
    this.#quiescence?.close();
    await this.#runner?.idle();
    while (this.#closers.length > 0) {
      const close = this.#closers.pop();
      try {
        await close?.();
      } catch (err) {
        this.#logger.error(errorMessage(err));
      }
    }
  }

  async #load(): Promise<{ resources: TemplateResource[]; errors: ConfdError[] }> {
    const { resources, errors } = await loadResources({
      confdir: this.#config.confdir,
      resourceDir: this.#config.resourceDir,
      templateDir: this.#config.templateDir,
      prefix: this.#config.prefix,
      logger: this.#logger,
    });
    return { resources: [...resources], errors: [...errors] };
  }

  /** #processOne runs one pass of one resource, logging its error; returns the error. */
  async #processOne(
    resource: TemplateResource,
    skipUnchanged: boolean,
  ): Promise<{ error: unknown } | undefined> {
    try {
      await this.#processor?.process(resource, { skipUnchanged });
      return undefined;
    } catch (error) {
      this.#logger.error(errorMessage(error));
      return { error };
    }
  }

  async #runOnce(): Promise<number> {
    const { resources, errors } = await this.#load();
    let last: string | undefined;
    for (const err of errors) {
      this.#logger.error(err.message);
      last = err.message;
    }
    for (const resource of resources) {
      if (this.#stop.signal.aborted) break; // SIGINT/SIGTERM: stop after the resource in flight
      const failed = await this.#processOne(resource, false);
      if (failed) last = errorMessage(failed.error);
    }
    if (last !== undefined) {
      // confd: the last error is returned from Process and logged FATAL by main.
      this.#logger.fatal(last);
      return 1;
    }
    return 0;
  }

  async #runInterval(): Promise<number> {
    const loop = startIntervalLoop({
      intervalMs: this.#config.interval * 1000,
      signal: this.#stop.signal,
      pass: async () => {
        const { resources, errors } = await this.#load();
        for (const err of errors) this.#logger.error(err.message);
        for (const resource of resources) {
          if (this.#stop.signal.aborted) return;
          await this.#processOne(resource, false);
        }
      },
    });
    this.#triggerInterval = () => loop.trigger();
    await loop.done;
    return 0;
  }

  async #runWatch(): Promise<number> {
    const { resources, errors } = await this.#load();
    for (const err of errors) this.#logger.error(err.message);
    if (resources.length === 0) {
      if (errors.length === 0) return 0; // confd: nothing to watch
      // Nothing loaded at all: fatal, as confd is for any load error.
      this.#logger.fatal(errors.at(-1)?.message ?? 'no template resources');
      return 1;
    }
    // A pass that failed to read the backend, or whose reload_cmd failed, is retried with backoff:
    // the subscription may see no other change for a long time (confd never retries, #671).
    const retries = new Map<string, { backoff: Backoff; timer?: NodeJS.Timeout }>();
    this.#closers.push(() => {
      for (const r of retries.values()) clearTimeout(r.timer);
      return Promise.resolve();
    });
    const runner = createSerialRunner(async (id) => {
      const resource = this.#resources.get(id);
      if (!resource || this.#stop.signal.aborted) return;
      const failed = await this.#processOne(resource, true);
      let retry = retries.get(id);
      if (!failed || !isRetryable(failed.error)) {
        if (retry) clearTimeout(retry.timer);
        retries.delete(id);
        return;
      }
      if (!retry)
        retries.set(id, (retry = { backoff: createBackoff({ baseMs: 1000, maxMs: 30_000 }) }));
      clearTimeout(retry.timer);
      retry.timer = setTimeout(() => void runner.schedule(id), retry.backoff.next());
    });
    this.#runner = runner;
    if (this.#backend?.watchServices) {
      const watches = createServiceWatches({
        backend: this.#backend,
        logger: this.#logger,
        onChange: (id) => void runner.schedule(id),
        signal: this.#stop.signal,
        clock: this.#watchClock,
      });
      this.#serviceWatches = watches;
      this.#closers.push(() => Promise.resolve(watches.close()));
    }
    const wait = this.#config.wait;
    if (wait) {
      this.#quiescence = createQuiescence({
        minMs: wait.minMs,
        maxMs: wait.maxMs,
        fire: (id) => void runner.schedule(id),
      });
    }
    // The template watcher is ready before the first renders read a template, so a template
    // saved at any moment after a render read it sends an event.
    await this.#watchTemplates(runner);
    this.#watch(resources);
    await new Promise<void>((resolve) => {
      if (this.#stop.signal.aborted) resolve();
      else this.#stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return 0;
  }

  /**
   * #watchTemplates re-renders the resources of a template file when it changes on disk (editors
   * rename temp files into place, hence `atomic` and `awaitWriteFinish`). conf.d changes still
   * need SIGHUP, so that a half-written resource set is never picked up.
   */
  async #watchTemplates(runner: SerialRunner): Promise<void> {
    const { watch } = await import('chokidar');
    const watcher = watch(this.#config.templateDir, {
      ignoreInitial: true,
      atomic: true,
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
    });
    this.#closers.push(() => watcher.close());
    watcher.on('error', (err) => this.#logger.error(errorMessage(err)));
    watcher.on('all', (_event, path) => {
      const changed = resolvePath(path);
      for (const resource of this.#resources.values()) {
        if (resolvePath(resource.src) === changed) void runner.schedule(resource.file);
      }
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** #watch (re)starts the prefix subscriptions for a resource set. */
  #watch(resources: readonly TemplateResource[]): void {
    this.#resources = new Map(resources.map((r) => [r.file, r]));
    const runner = this.#runner;
    const backend = this.#backend;
    if (!runner || !backend) return;
    this.#subscriptions = startSubscriptions({
      backend,
      logger: this.#logger,
      clock: this.#watchClock,
      targets: resources.map((r) => ({ id: r.file, prefix: r.prefix, keys: r.keys })),
      onChange: (ids) => {
        if (this.#quiescence) this.#quiescence.add(ids);
        else for (const id of ids) void runner.schedule(id);
      },
    });
  }

  async #reload(): Promise<boolean> {
    if (this.#stop.signal.aborted || !this.#processor || this.#config.onetime) return false;
    const logger = this.#logger;
    logger.info('Received SIGHUP: reloading template resources');
    const { resources, errors } = await this.#load();
    const problems = errors.map((e) => e.message);
    for (const resource of resources) {
      try {
        await this.#templates?.get(resource.src, resource.engine);
      } catch (err) {
        problems.push(errorMessage(err));
      }
    }
    if (problems.length > 0) {
      for (const p of problems) logger.error(p);
      logger.error('Reload failed; keeping the previous template resources');
      return false;
    }
    if (this.#config.watch && !this.#config.onetime) {
      await this.#subscriptions?.close();
      if (this.#stop.signal.aborted) return false;
      this.#serviceWatches?.retain(new Set(resources.map((r) => r.file)));
      this.#watch(resources);
    } else {
      this.#triggerInterval?.();
    }
    logger.info(`Reloaded ${resources.length} template resource(s)`);
    return true;
  }
}
