/**
 * The file backend: confd's YAML/JSON file store client. `-file` paths (files, or directories
 * walked recursively with the `-filter` glob on file names) are parsed on every getValues and
 * flattened to `/a/b` keys; a key is served when it string-starts with a requested key.
 * watchPrefix returns 1 on the first call, then waits for chokidar to report a file added,
 * changed or removed.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { abortError, ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { throwIfAborted } from './abort.js';
import { fsErrorText, lookupFiles } from './file-walk.js';
import { flattenYaml } from './file-yaml.js';
import { compileGoGlob } from './go-glob.js';
import type { PathPattern } from '../go/path-match.js';
import type { Backend, WatchPrefixOptions } from './types.js';

/** FileBackendOptions configures {@link createFileBackend}. */
export interface FileBackendOptions {
  /** The -file values: files or directories. */
  files: readonly string[];
  /** The -filter glob (Go filepath.Match syntax) for files found in directories. Default `*`. */
  filter?: string | undefined;
  logger?: Logger | undefined;
}

/** FileBackend reads YAML/JSON files and watches them with chokidar. */
class FileBackend implements Backend {
  readonly name = 'file';
  readonly #files: readonly string[];
  readonly #direct: Set<string>;
  readonly #filter: PathPattern;
  readonly #logger: Logger | undefined;
  /** The change counter handed out as the watch index; bumped on each relevant file event. */
  #index = 1;
  #watcher: FSWatcher | undefined;
  #ready: Promise<void> | undefined;
  #markReady: (() => void) | undefined;
  readonly #waiters = new Set<() => void>();
  #closing: Promise<void> | undefined;

  constructor(options: FileBackendOptions) {
    this.#files = [...options.files];
    this.#direct = new Set(this.#files.map((f) => resolve(f)));
    this.#filter = compileGoGlob(options.filter || '*');
    this.#logger = options.logger;
  }

  async getValues(keys: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
    throwIfAborted(signal);
    const all = new Map<string, string>();
    for (const file of await lookupFiles(this.#files, this.#filter)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new ConfdError(ErrorCode.BACKEND_UNREACHABLE, `open ${file}: ${fsErrorText(err)}`, {
          cause: err,
        });
      }
      flattenYaml(text, file, all);
    }
    throwIfAborted(signal);
    const vars = new Map<string, string>();
    for (const [k, v] of all) {
      if (keys.some((key) => k.startsWith(key))) vars.set(k, v);
    }
    return vars;
  }

  async watchPrefix(_prefix: string, options: WatchPrefixOptions): Promise<number> {
    const { waitIndex, signal } = options;
    throwIfAborted(signal);
    if (this.#closing) throw abortError(signal);
    // Unlike confd (a fresh fsnotify watcher per call, so changes between calls are lost), one
    // watcher lives from the first call on; it is ready before the first index is handed out.
    await this.#startWatching();
    throwIfAborted(signal);
    if (this.#closing) throw abortError(signal);
    if (waitIndex === 0 || this.#index !== waitIndex) return this.#index;
    await new Promise<void>((resolvePromise, reject) => {
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(abortError(signal));
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        if (this.#closing) reject(abortError(signal));
        else resolvePromise();
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.#index;
  }

  #startWatching(): Promise<void> {
    if (this.#ready) return this.#ready;
    const watcher = watch([...this.#files], { ignoreInitial: true, persistent: true });
    this.#watcher = watcher;
    watcher.on('all', (event, path) => {
      if (event !== 'add' && event !== 'change' && event !== 'unlink') return;
      if (!this.#direct.has(resolve(path)) && !this.#filter.test(basename(path))) return;
      this.#logger?.debug(`file backend: ${event} ${path}`);
      this.#bump();
    });
    watcher.on('error', (err) => {
      this.#logger?.warn(`file backend watch error: ${errorMessage(err)}`);
    });
    this.#ready = new Promise<void>((resolvePromise) => {
      this.#markReady = resolvePromise;
      watcher.once('ready', () => resolvePromise());
    });
    return this.#ready;
  }

  #bump(): void {
    this.#index++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const wake of waiters) wake();
      this.#markReady?.();
      await this.#watcher?.close();
    })();
    return this.#closing;
  }
}

/** createFileBackend builds the file backend; a bad -filter throws CONFIG_FLAG. */
export function createFileBackend(options: FileBackendOptions): Backend {
  return new FileBackend(options);
}
