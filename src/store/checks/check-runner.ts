/**
 * Runs the agent's health checks: interval probes (HTTP, TCP, script) and TTL timers, reporting
 * each status/output change through `onResult`, and reaping services whose check stayed critical
 * longer than `deregister_critical_service_after`. It never touches the catalog itself.
 */
import { ConfdError, ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { parseGoDuration } from '../../go/duration.js';
import type { CheckStatus } from '../catalog/types.js';
import { probeHttp, probeScript, probeTcp, truncateOutput } from './probes.js';
import {
  realTimers,
  type CheckResult,
  type CheckSpec,
  type OnCheckResult,
  type TimerHandle,
  type Timers,
} from './types.js';

/** CheckRunnerOptions configure a {@link CheckRunner}. */
export interface CheckRunnerOptions {
  readonly onResult: OnCheckResult;
  /** Called once when a check stayed critical past its deregister_critical_service_after. */
  readonly onDeregisterCritical?: (checkId: string, serviceId: string) => void;
  readonly logger: Logger;
  readonly timers?: Timers;
  readonly signal?: AbortSignal;
  /** Lower bound of deregister_critical_service_after in ms. Default 60000 (Consul's 1m). */
  readonly minDeregisterMs?: number;
  /** How often critical checks are looked at for reaping, in ms. Default 30000 (Consul). */
  readonly reapIntervalMs?: number;
}

/** Default timeouts: 10s for HTTP/TCP, 30s for scripts (Consul). */
const DEFAULT_TIMEOUT_MS = { http: 10_000, tcp: 10_000, script: 30_000 } as const;

interface Running {
  readonly spec: CheckSpec;
  status: CheckStatus;
  output: string;
  criticalSince: number | undefined;
  timer: TimerHandle | undefined;
  /** Cancels a probe in flight; TTL checks run none, so they need none. */
  readonly controller: AbortController | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly ttlMs: number;
  readonly deregisterMs: number | undefined;
}

/**
 * ms reads a stored definition duration in milliseconds; undefined when absent or not above 0,
 * as Consul uses a check's timeout, interval and deregister_critical_service_after only when > 0
 * (a request may give a negative number of nanoseconds).
 */
function ms(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ns = parseGoDuration(text);
  return ns === undefined || ns <= 0 ? undefined : ns / 1e6;
}

/** CheckRunner runs every check added to it until removed or closed. */
export class CheckRunner {
  readonly #options: CheckRunnerOptions;
  readonly #timers: Timers;
  readonly #checks = new Map<string, Running>();
  #reaper: TimerHandle | undefined;
  #closed = false;

  constructor(options: CheckRunnerOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** has tells whether a check is running. */
  has(checkId: string): boolean {
    return this.#checks.has(checkId);
  }

  /** statusOf returns a running check's last known status and output. */
  statusOf(checkId: string): { status: CheckStatus; output: string } | undefined {
    const c = this.#checks.get(checkId);
    return c && { status: c.status, output: c.output };
  }

  /** add starts (or restarts) a check; a check with no runnable type is only tracked. */
  add(spec: CheckSpec): void {
    if (this.#closed) throw new ConfdError(ErrorCode.STORE_CLOSED, 'check runner is closed');
    this.remove(spec.checkId);
    const d = spec.definition;
    const type = spec.type;
    const defTimeout = type === 'http' || type === 'tcp' || type === 'script' ? type : 'http';
    const status = spec.status ?? 'critical';
    let deregisterMs = ms(d.deregisterCriticalServiceAfter);
    if (deregisterMs !== undefined) {
      deregisterMs = Math.max(deregisterMs, this.#options.minDeregisterMs ?? 60_000);
    }
    const running: Running = {
      spec,
      status,
      output: '',
      criticalSince: status === 'critical' ? this.#timers.now() : undefined,
      timer: undefined,
      controller: type === 'ttl' ? undefined : new AbortController(),
      intervalMs: ms(d.interval) ?? 10_000,
      timeoutMs: ms(d.timeout) ?? DEFAULT_TIMEOUT_MS[defTimeout],
      ttlMs: ms(d.ttl) ?? 0,
      deregisterMs,
    };
    this.#checks.set(spec.checkId, running);
    if (type === 'ttl') this.#armTtl(running);
    else if (type === 'http' || type === 'tcp' || type === 'script') void this.#probe(running);
    if (deregisterMs !== undefined) this.#armReaper();
  }

  /** remove stops a check (no-op when unknown). */
  remove(checkId: string): void {
    const c = this.#checks.get(checkId);
    if (!c) return;
    this.#checks.delete(checkId);
    if (c.timer !== undefined) this.#timers.clearTimeout(c.timer);
    c.controller?.abort();
  }

  /**
   * ttlUpdate records a TTL check's new state (agent check pass/warn/fail/update) and re-arms its
   * TTL; false when the check is unknown or not a TTL check.
   */
  ttlUpdate(checkId: string, status: CheckStatus, output: string): boolean {
    const c = this.#checks.get(checkId);
    if (!c || c.spec.type !== 'ttl') return false;
    this.#report(c, { status, output: truncateOutput(output) });
    this.#armTtl(c);
    return true;
  }

  #armTtl(c: Running): void {
    if (c.timer !== undefined) this.#timers.clearTimeout(c.timer);
    if (c.ttlMs <= 0) return;
    c.timer = this.#timers.setTimeout(() => {
      c.timer = undefined;
      if (this.#checks.get(c.spec.checkId) !== c) return;
      // Consul's CheckTTL: an expired TTL turns the check critical.
      this.#report(c, { status: 'critical', output: 'TTL expired' });
    }, c.ttlMs);
  }

  async #probe(c: Running): Promise<void> {
    const started = this.#timers.now();
    let result: CheckResult;
    try {
      const { definition: d } = c.spec;
      const signal = c.controller?.signal ?? AbortSignal.abort();
      if (c.spec.type === 'http') result = await probeHttp(d, c.timeoutMs, signal);
      else if (c.spec.type === 'tcp') result = await probeTcp(d, c.timeoutMs, signal);
      else result = await probeScript(d, c.timeoutMs, signal);
    } catch (err) {
      result = { status: 'critical', output: errorMessage(err) };
    }
    if (this.#checks.get(c.spec.checkId) !== c || this.#closed) return;
    this.#report(c, result);
    const elapsed = this.#timers.now() - started;
    c.timer = this.#timers.setTimeout(
      () => {
        c.timer = undefined;
        if (this.#checks.get(c.spec.checkId) === c) void this.#probe(c);
      },
      Math.max(0, c.intervalMs - elapsed),
    );
  }

  #report(c: Running, result: CheckResult): void {
    if (result.status === 'critical') c.criticalSince ??= this.#timers.now();
    else c.criticalSince = undefined;
    if (result.status === c.status && result.output === c.output) return;
    c.status = result.status;
    c.output = result.output;
    try {
      this.#options.onResult(c.spec.checkId, result.status, result.output);
    } catch (err) {
      this.#options.logger.error(`check ${c.spec.checkId}: result handler: ${errorMessage(err)}`);
    }
  }

  #armReaper(): void {
    if (this.#reaper !== undefined || this.#closed) return;
    this.#reaper = this.#timers.setTimeout(() => {
      this.#reaper = undefined;
      this.#reap();
    }, this.#options.reapIntervalMs ?? 30_000);
  }

  #reap(): void {
    const now = this.#timers.now();
    let pending = false;
    for (const c of [...this.#checks.values()]) {
      if (c.deregisterMs === undefined) continue;
      pending = true;
      if (c.criticalSince === undefined || now - c.criticalSince < c.deregisterMs) continue;
      if (c.spec.serviceId === '') continue;
      this.#options.logger.info(
        `agent: Check ${JSON.stringify(c.spec.checkId)} for service ${JSON.stringify(c.spec.serviceId)} ` +
          `has been critical for too long; deregistered service`,
      );
      this.remove(c.spec.checkId);
      this.#options.onDeregisterCritical?.(c.spec.checkId, c.spec.serviceId);
    }
    if (pending) this.#armReaper();
  }

  /** close stops every check and timer. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const id of [...this.#checks.keys()]) this.remove(id);
    if (this.#reaper !== undefined) this.#timers.clearTimeout(this.#reaper);
    this.#reaper = undefined;
    return Promise.resolve();
  }
}
