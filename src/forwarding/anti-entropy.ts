/**
 * A client agent's anti-entropy (Consul `agent/ae`, `agent/local/state.go`): the agent's own
 * services and checks live in its local state (registered through `/v1/agent/service|check/*` or
 * config files, health checks run here) and are pushed into the servers' catalog:
 *
 * - **partial sync** right after every local change;
 * - **full sync** at start-up and then every interval (1 min, plus a random stagger of up to one
 *   interval): the node's entries in the catalog are read and whatever differs is pushed, and
 *   entries the agent does not have are deregistered (except `serfHealth`, which the servers'
 *   membership keeps, and the `consul` service), so the agent wins over `/v1/catalog/register`,
 *   as in Consul;
 * - a change of a check's **output only** is held back up to `check_update_interval` (5 min);
 *   a status change is pushed at once (consul PR #204).
 *
 * Pushes use the servers' public catalog API (`PUT /v1/catalog/register|deregister`).
 */
import type { WatchClock } from '../clock.js';
import { realClock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { CatalogStore } from '../store/catalog/catalog-store.js';
import { checkIdentityJson, serviceJson } from '../store/catalog/shapes.js';
import type { CatalogCheck, CatalogNode, CatalogService } from '../store/catalog/types.js';

/** ServerCall sends one request to a server's HTTP API (forwarded) and reads the answer. */
export type ServerCall = (
  method: string,
  path: string,
  body?: string,
) => Promise<{ status: number; body: string }>;

/** AntiEntropyOptions configure {@link startAntiEntropy}. */
export interface AntiEntropyOptions {
  /** The agent's local state. */
  readonly local: CatalogStore;
  readonly nodeName: string;
  readonly call: ServerCall;
  readonly logger: Logger;
  readonly clock?: WatchClock;
  /** Between full syncs, before the stagger. Default 60 000 ms. */
  readonly intervalMs?: number;
  /** Output-only check changes wait up to this long. Default 300 000 ms. */
  readonly checkUpdateIntervalMs?: number;
  readonly random?: () => number;
  readonly signal: AbortSignal;
}

/** AntiEntropy is a running sync loop. */
export interface AntiEntropy {
  /** syncNow runs a full sync now (after a join) and resolves when it is done. */
  syncNow(): Promise<void>;
  /** Resolves when the loop has stopped (its signal aborted). */
  readonly done: Promise<void>;
}

/** Entries the servers keep themselves: never pushed, never deregistered by the agent. */
const SERVER_OWNED_CHECKS = new Set(['serfHealth']);
const SERVER_OWNED_SERVICES = new Set(['consul']);

interface Pushed {
  /** What the catalog holds of the entry, as a signature (content without status and output). */
  readonly signature: string;
  readonly status: string;
  readonly output: string;
  readonly at: number;
}

/** serviceBody renders a local service as a catalog registration's `Service` (indexes are ignored). */
const serviceBody = (s: CatalogService) => serviceJson(s);

/** checkBody renders a local check so that the catalog's register parses it back the same. */
function checkBody(c: CatalogCheck) {
  const d = c.definition;
  return {
    ...checkIdentityJson(c),
    HTTP: d.http,
    TCP: d.tcp,
    TTL: d.ttl,
    Method: d.method,
    Header: d.header,
    Body: d.body,
    Args: d.args,
    Interval: d.interval,
    Timeout: d.timeout,
    DeregisterCriticalServiceAfter: d.deregisterCriticalServiceAfter,
  };
}

const serviceSignature = (s: CatalogService) => JSON.stringify(serviceBody(s));
/** checkSignature is a check's content without its status and output (compared apart). */
function checkSignature(c: CatalogCheck): string {
  return JSON.stringify({ ...checkBody(c), Status: undefined, Output: undefined });
}

/** startAntiEntropy starts syncing the local node's entries into the servers' catalog. */
export function startAntiEntropy(options: AntiEntropyOptions): AntiEntropy {
  const { local, nodeName, call, logger, signal } = options;
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 60_000;
  const holdMs = options.checkUpdateIntervalMs ?? 300_000;
  /** What this agent believes the catalog holds of its entries, by `s:<id>` / `c:<id>`. */
  let pushed = new Map<string, Pushed>();
  let running: Promise<void> | undefined;
  let again: { full: boolean } | undefined;
  let failingSince: number | undefined;
  let lastLogged = 0;

  const localEntries = () => {
    const state = local.catalogState();
    const node = state.node(nodeName);
    const services =
      state
        .nodeServices(nodeName)
        .value?.services.filter((s) => !SERVER_OWNED_SERVICES.has(s.id)) ?? [];
    const checks = state
      .nodeChecks(nodeName)
      .value.filter((c) => !SERVER_OWNED_CHECKS.has(c.checkId));
    return { node, services, checks };
  };

  const register = async (node: CatalogNode, body: Record<string, unknown>) => {
    const answer = await call(
      'PUT',
      '/v1/catalog/register',
      JSON.stringify({
        Node: node.node,
        ID: node.id,
        Address: node.address,
        TaggedAddresses: node.taggedAddresses ?? undefined,
        NodeMeta: node.meta ?? undefined,
        SkipNodeUpdate: true,
        ...body,
      }),
    );
    if (answer.status !== 200)
      throw new Error(`catalog register: ${answer.status} ${answer.body.trim()}`);
  };

  const deregister = async (what: { ServiceID?: string; CheckID?: string }) => {
    const answer = await call(
      'PUT',
      '/v1/catalog/deregister',
      JSON.stringify({ Node: nodeName, ...what }),
    );
    if (answer.status !== 200)
      throw new Error(`catalog deregister: ${answer.status} ${answer.body.trim()}`);
  };

  /** readRemote learns what the catalog holds of this node (a full sync starts from it). */
  const readRemote = async (): Promise<Map<string, Pushed>> => {
    const seen = new Map<string, Pushed>();
    const node = await call('GET', `/v1/catalog/node/${encodeURIComponent(nodeName)}?stale`);
    const health = await call('GET', `/v1/health/node/${encodeURIComponent(nodeName)}?stale`);
    if (node.status !== 200 || health.status !== 200) {
      throw new Error(`reading the catalog: ${node.status}/${health.status}`);
    }
    const services =
      (JSON.parse(node.body) as { Services?: Record<string, { ID: string }> } | null)?.Services ??
      {};
    for (const s of Object.values(services)) {
      seen.set(`s:${s.ID}`, { signature: '?', status: '', output: '', at: 0 });
    }
    for (const c of JSON.parse(health.body) as {
      CheckID: string;
      Status: string;
      Output: string;
    }[]) {
      seen.set(`c:${c.CheckID}`, { signature: '?', status: c.Status, output: c.Output, at: 0 });
    }
    return seen;
  };

  const sync = async (full: boolean): Promise<void> => {
    const { node, services, checks } = localEntries();
    if (node === undefined) return;
    if (full) pushed = await readRemote();
    const now = clock.now();
    const wanted = new Set<string>();
    const byService = new Map<string, CatalogCheck[]>();
    for (const c of checks) {
      const list = byService.get(c.serviceId) ?? [];
      list.push(c);
      byService.set(c.serviceId, list);
    }
    for (const s of services) {
      wanted.add(`s:${s.id}`);
      const own = byService.get(s.id) ?? [];
      for (const c of own) wanted.add(`c:${c.checkId}`);
      const stale =
        pushed.get(`s:${s.id}`)?.signature !== serviceSignature(s) ||
        own.some((c) => needsPush(c, now));
      if (!stale) continue;
      await register(node, { Service: serviceBody(s), Checks: own.map(checkBody) });
      pushed.set(`s:${s.id}`, { signature: serviceSignature(s), status: '', output: '', at: now });
      for (const c of own) remember(c, now);
    }
    for (const c of byService.get('') ?? []) {
      wanted.add(`c:${c.checkId}`);
      if (!needsPush(c, now)) continue;
      await register(node, { Check: checkBody(c) });
      remember(c, now);
    }
    for (const key of [...pushed.keys()]) {
      if (wanted.has(key)) continue;
      const id = key.slice(2);
      if (key.startsWith('s:')) {
        if (!SERVER_OWNED_SERVICES.has(id)) await deregister({ ServiceID: id });
      } else if (!SERVER_OWNED_CHECKS.has(id)) {
        await deregister({ CheckID: id });
      }
      pushed.delete(key);
    }
  };

  /** needsPush: the check differs from what was pushed (output alone only after the hold time). */
  const needsPush = (c: CatalogCheck, now: number): boolean => {
    const p = pushed.get(`c:${c.checkId}`);
    if (p === undefined || p.signature !== checkSignature(c) || p.status !== c.status) return true;
    return p.output !== c.output && now - p.at >= holdMs;
  };

  const remember = (c: CatalogCheck, now: number) => {
    pushed.set(`c:${c.checkId}`, {
      signature: checkSignature(c),
      status: c.status,
      output: c.output,
      at: now,
    });
  };

  /** run runs syncs one at a time; a request during one runs once more afterwards. */
  const run = (full: boolean): Promise<void> => {
    if (running) {
      again = { full: full || (again?.full ?? false) };
      return running;
    }
    running = (async () => {
      let next: { full: boolean } | undefined = { full };
      while (next && !signal.aborted) {
        const current = next;
        again = undefined;
        try {
          await sync(current.full);
          failingSince = undefined;
        } catch (err) {
          // Logged when syncing starts failing, then at most every 30 s while it goes on.
          const now = clock.now();
          if (failingSince === undefined || now - lastLogged >= 30_000) {
            const what = current.full ? 'remote state' : 'changes';
            logger.warn(`failed to sync ${what}: ${errorMessage(err)}`);
            lastLogged = now;
          }
          failingSince ??= now;
          // A failed sync is retried as a full one soon (Consul: 15 s plus stagger; sooner here).
          again = { full: true };
          if (!(await clock.sleep(1000 + random() * 1000, signal))) break;
        }
        next = again;
      }
    })().finally(() => (running = undefined));
    return running;
  };

  const watchLocal = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await local.waitForCatalog(
          { kind: 'catalog-tables', tables: ['nodes', 'services', 'checks'] },
          signal,
        );
      } catch {
        return;
      }
      void run(false);
    }
  };

  /** fullLoop: a full sync at start-up, then one every interval plus a random stagger. */
  const fullLoop = async (): Promise<void> => {
    while (!signal.aborted) {
      await run(true);
      if (!(await clock.sleep(intervalMs + random() * intervalMs, signal))) return;
    }
  };

  return {
    syncNow: () => run(true),
    done: Promise.all([watchLocal(), fullLoop()]).then(() => undefined),
  };
}
