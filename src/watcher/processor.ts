/**
 * One pass over one template resource, as confd's `process()`: fetch its keys from the backend,
 * render the template against them (resolving I/O lookups and rendering again), and hand the result
 * to the target syncer. A fetch error never reaches the syncer, so a target is never blanked.
 *
 * With `skipUnchanged` (watch mode) a resource whose fetched keys and template are the same as at
 * its last successful pass, and which has no reload pending, is not rendered again (confd #489).
 */
import { ConfdError, ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../backends/types.js';
import type { TargetSyncer, SyncResult } from '../reload/types.js';
import type { CompiledTemplate, LookupRequest } from '../template/types.js';
import { stripPrefix } from './key-path.js';
import type { TemplateCache } from './template-cache.js';
import type { TemplateResource } from './types.js';

/** LookupResolver performs a render's I/O lookups (DNS); id → result. */
export type LookupResolver = (
  requests: ReadonlyMap<string, LookupRequest>,
  /** The resource file rendering (for remembering its service lookups). */
  resource: string,
) => Promise<Map<string, unknown>>;

/** OwnerResolver maps `owner`/`group` names to ids. */
export type OwnerResolver = (
  owner?: string,
  group?: string,
) => Promise<{ uid?: number; gid?: number }>;

/** ProcessorOptions configures {@link createProcessor}. */
export interface ProcessorOptions {
  backend: Backend;
  syncer: TargetSyncer;
  templates: TemplateCache;
  resolveLookups: LookupResolver;
  resolveOwner: OwnerResolver;
  logger: Logger;
  env: Readonly<Record<string, string | undefined>>;
  now?: () => number;
  noop: boolean;
  syncOnly: boolean;
  keepStageFile: boolean;
}

/** ProcessOptions are per-pass options. */
export interface ProcessOptions {
  /** Skip rendering when keys and template are as at the last successful pass. */
  skipUnchanged?: boolean;
  signal?: AbortSignal;
}

/** ProcessOutcome tells what a pass did. */
export type ProcessOutcome = 'skipped' | 'in-sync' | 'updated' | 'noop';

/** ResourceProcessor runs passes and remembers per-resource state between them. */
export interface ResourceProcessor {
  /** process runs one pass; it rejects with the pass's error (already a readable message). */
  process(resource: TemplateResource, options?: ProcessOptions): Promise<ProcessOutcome>;
  /** reset forgets every resource's state (after a SIGHUP reload). */
  reset(): void;
}

interface ResourceState {
  valuesKey: string;
  templateVersion: string;
  reloadPending: boolean;
}

/** MAX_LOOKUP_ROUNDS bounds the render → resolve → render loop. */
const MAX_LOOKUP_ROUNDS = 5;

/** formatGoMap prints a map[string]string as Go's %v does: `map[k1:v1 k2:v2]`, keys sorted. */
export function formatGoMap(values: ReadonlyMap<string, string>): string {
  const keys = [...values.keys()].sort();
  return `map[${keys.map((k) => `${k}:${values.get(k)}`).join(' ')}]`;
}

/** createProcessor builds the per-resource pipeline. */
export function createProcessor(options: ProcessorOptions): ResourceProcessor {
  const { backend, syncer, templates, logger } = options;
  const now = options.now ?? Date.now;
  const states = new Map<string, ResourceState>();
  // Resources whose last render used I/O lookups (DNS, services): their output depends on more
  // than keys, so an unchanged key set does not mean an unchanged render.
  const usesLookups = new Set<string>();

  const render = async (
    keys: ReadonlyMap<string, string>,
    template: CompiledTemplate,
    resource: string,
  ): Promise<string> => {
    const lookups = new Map<string, unknown>();
    for (let round = 0; ; round++) {
      const result = template.render({ keys, env: options.env, now, lookups });
      if (result.missingLookups.size === 0 || round >= MAX_LOOKUP_ROUNDS) {
        if (round > 0) usesLookups.add(resource);
        else usesLookups.delete(resource);
        return result.output;
      }
      const resolved = await options.resolveLookups(result.missingLookups, resource);
      for (const [id, value] of resolved) lookups.set(id, value);
      for (const id of result.missingLookups.keys()) if (!lookups.has(id)) lookups.set(id, null);
    }
  };

  return {
    reset() {
      states.clear();
      usesLookups.clear();
    },
    async process(resource, processOptions = {}) {
      const { signal } = processOptions;
      const state = states.get(resource.file);

      logger.debug('Retrieving keys from store');
      logger.debug(`Key prefix set to ${resource.prefix}`);
      const raw =
        resource.keys.length === 0
          ? new Map<string, string>()
          : await backend.getValues(resource.keys, signal);
      if (logger.enabled('debug'))
        logger.debug(`Got the following map from store: ${formatGoMap(raw)}`);
      const keys = new Map<string, string>();
      for (const [k, v] of raw) keys.set(stripPrefix(k, resource.prefix), v);
      const valuesKey = JSON.stringify(
        [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      );

      logger.debug(`Using source template ${resource.src}`);
      const cached = await templates.get(resource.src, resource.engine);
      if (
        processOptions.skipUnchanged &&
        state &&
        !state.reloadPending &&
        !usesLookups.has(resource.file) &&
        state.valuesKey === valuesKey &&
        state.templateVersion === cached.version
      ) {
        logger.debug(`Keys of ${resource.dest} unchanged; not rendering`);
        return 'skipped';
      }
      logger.debug(`Compiling source template ${resource.src}`);
      const output = await render(keys, cached.template, resource.file);

      let { uid, gid } = resource;
      if ((uid === undefined && resource.owner) || (gid === undefined && resource.group)) {
        const ids = await options.resolveOwner(resource.owner, resource.group);
        uid ??= ids.uid;
        gid ??= ids.gid;
      }
      const reloadPending = state?.reloadPending ?? false;
      const result: SyncResult = await syncer.sync({
        dest: resource.dest,
        content: output,
        mode: resource.mode,
        uid,
        gid,
        checkCmd: resource.checkCmd,
        reloadCmd: resource.reloadCmd,
        src: resource.src,
        noop: options.noop,
        syncOnly: options.syncOnly,
        keepStageFile: options.keepStageFile,
        reloadPending,
        signal,
      });
      if (result.reloadFailed) {
        states.set(resource.file, {
          valuesKey,
          templateVersion: cached.version,
          reloadPending: true,
        });
        throw result.error ?? new ConfdError(ErrorCode.RELOAD_COMMAND_FAILED, 'reload failed');
      }
      states.set(resource.file, {
        valuesKey,
        templateVersion: cached.version,
        reloadPending: false,
      });
      if (options.noop) return 'noop';
      return result.updated ? 'updated' : 'in-sync';
    },
  };
}
