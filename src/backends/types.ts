/**
 * Backend is the port every store client implements, mirroring confd's StoreClient
 * (`GetValues` / `WatchPrefix`). One file per backend in this folder; `index.ts` is the only
 * name → factory registry.
 */
import type { Logger } from '../log.js';
import type { ServiceLookupRequest } from '../template/types.js';

/** Backend is a key/value source the daemon renders from. */
export interface Backend {
  /** The backend name as given to -backend (e.g. `consul`). */
  readonly name: string;
  /**
   * Fetches every key under each of `keys` (confd keys are prefixes). Returned keys are absolute
   * (`/database/host`), as confd's backends return them.
   */
  getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>>;
  /**
   * Waits until data under `prefix` (and `keys`) may have changed since `waitIndex`, and resolves to
   * the new index. `waitIndex` 0 returns at once (the first render). Rejects with an ABORTED
   * ConfdError when `signal` fires.
   */
  watchPrefix(prefix: string, options: WatchPrefixOptions): Promise<number>;
  /**
   * Answers a catalog lookup of the `service`, `services` or `nodes` template functions (only the
   * consul and embedded backends). `service` results are sorted by node, then instance ID.
   */
  getServices?(request: ServiceLookupRequest, signal?: AbortSignal): Promise<unknown[]>;
  /**
   * Waits until the answer to a catalog lookup may have changed since `waitIndex` and resolves to
   * the new index; `waitIndex` 0 returns at once. Rejects with ABORTED when `signal` fires.
   */
  watchServices?(
    request: ServiceLookupRequest,
    options: { waitIndex: number; signal: AbortSignal },
  ): Promise<number>;
  /** Releases connections and watches. Idempotent. */
  close(): Promise<void>;
}

/** WatchPrefixOptions are the arguments of {@link Backend.watchPrefix}. */
export interface WatchPrefixOptions {
  keys: readonly string[];
  waitIndex: number;
  signal: AbortSignal;
}

/** BackendConfig is the resolved subset of the daemon's flags that backends read. */
export interface BackendConfig {
  backend: string;
  nodes: string[];
  scheme: string;
  clientCert?: string;
  clientKey?: string;
  clientCaKeys?: string;
  basicAuth: boolean;
  username?: string;
  password?: string;
  authToken?: string;
  /** -file, for the file backend. */
  files: string[];
  /** -filter, for the file backend. Default `*`. */
  filter: string;
  /** -separator, for redis. */
  separator?: string;
  /** -table, for dynamodb (unsupported). */
  table?: string;
}

/** BackendDeps are the collaborators a backend may need. */
export interface BackendDeps {
  logger: Logger;
  /** The environment (env backend, CONSUL_HTTP_TOKEN); default process.env at the CLI only. */
  env: Readonly<Record<string, string | undefined>>;
}
