/**
 * Template resources: the `[template]` tables of `<confdir>/conf.d/**\/*toml`, loaded in confd's
 * lexical walk order into frozen {@link TemplateResource}s.
 *
 * Unlike confd (one bad file is fatal for every resource, `processor.go`), a bad file becomes one
 * error naming its file and line, and the other resources still load.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import type { TemplateEngineName } from './template/types.js';
import type { TemplateResource } from './watcher/types.js';
import { parseMode } from './reload/parse-mode.js';
import { joinKey } from './watcher/key-path.js';

export type { TemplateResource };

/** LoadResourcesOptions configures {@link loadResources}. */
export interface LoadResourcesOptions {
  /** The confd root directory (for the "does not exist" warning). */
  confdir: string;
  /** `<confdir>/conf.d`. */
  resourceDir: string;
  /** `<confdir>/templates`. */
  templateDir: string;
  /** The global `-prefix`; non-empty replaces every resource's prefix. */
  prefix: string;
  logger: Logger;
}

/** LoadResourcesResult holds the resources that loaded and one error per file that did not. */
export interface LoadResourcesResult {
  readonly resources: readonly TemplateResource[];
  readonly errors: readonly ConfdError[];
}

/** engineFor picks the engine: `engine` if set, else handlebars for `.hbs`/`.handlebars`, else go. */
export function engineFor(src: string, engine?: string): TemplateEngineName | undefined {
  if (engine !== undefined) return engine === 'go' || engine === 'handlebars' ? engine : undefined;
  const ext = extname(src).toLowerCase();
  return ext === '.hbs' || ext === '.handlebars' ? 'handlebars' : 'go';
}

/** findResourceFiles walks dir like Go's filepath.Walk (lexical, depth-first) for names ending in `toml`. */
export function findResourceFiles(dir: string): Promise<string[]> {
  return new Promise((resolve) => resolve(walkResourceFiles(dir)));
}

/**
 * walkResourceFiles is {@link findResourceFiles}' walk. conf.d is read synchronously, here and in
 * {@link loadResources}: a few small local files, read at start-up and on SIGHUP, where the
 * thread-pool round trips of async reads (four for each readFile) cost more than the reads.
 */
function walkResourceFiles(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkResourceFiles(path));
    else if (entry.name.endsWith('toml')) out.push(path); // filepath.Match("*toml", name)
  }
  return out;
}

/** lineOf finds the 1-based line of `key =` inside the file text, for error messages. */
function lineOf(text: string, key: string): number | undefined {
  const re = new RegExp(`^\\s*["']?${key}["']?\\s*=`);
  const index = text.split('\n').findIndex((line) => re.test(line));
  return index === -1 ? undefined : index + 1;
}

/** resourceError builds confd's "Cannot process template resource" error for a file. */
function resourceError(file: string, detail: string, cause?: unknown): ConfdError {
  return new ConfdError(
    ErrorCode.RESOURCE_INVALID,
    `Cannot process template resource ${file} - ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

/** parseResource turns one TOML file's text into a TemplateResource, or throws a ConfdError. */
export async function parseResource(
  file: string,
  text: string,
  options: Pick<LoadResourcesOptions, 'templateDir' | 'prefix'>,
): Promise<TemplateResource> {
  const { parse, TomlError } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      throw resourceError(file, `line ${err.line}, column ${err.column}: ${first}`, err);
    }
    throw resourceError(file, errorMessage(err), err);
  }
  const table = doc.template;
  const t: Record<string, unknown> =
    typeof table === 'object' && table !== null && !Array.isArray(table)
      ? (table as Record<string, unknown>)
      : {};
  if (Array.isArray(table))
    throw resourceError(file, '[[template]] is not supported; use [template]');

  const bad = (key: string, what: string) => {
    const line = lineOf(text, key);
    return resourceError(
      file,
      `${line === undefined ? '' : `line ${line}: `}${key}: must be ${what}`,
    );
  };
  const str = (key: string): string | undefined => {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw bad(key, 'a string');
    return v;
  };
  const int = (key: string): number | undefined => {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(key, 'an integer');
    return v;
  };

  const srcName = str('src') ?? '';
  if (srcName === '') throw resourceError(file, 'empty src template');
  const dest = str('dest') ?? '';
  if (dest === '') throw resourceError(file, 'empty dest');

  const rawKeys = t.keys ?? [];
  if (!Array.isArray(rawKeys) || !rawKeys.every((k) => typeof k === 'string')) {
    throw bad('keys', 'an array of strings');
  }
  // confd: a non-empty global prefix replaces the resource's; a leading "/" is ensured.
  let prefix = options.prefix !== '' ? options.prefix : (str('prefix') ?? '');
  if (!prefix.startsWith('/')) prefix = `/${prefix}`;
  const keys = rawKeys.map((k) => joinKey(prefix, k));

  const modeText = str('mode');
  let mode: number | undefined;
  if (modeText !== undefined && modeText !== '') {
    try {
      mode = parseMode(modeText);
    } catch (err) {
      const line = lineOf(text, 'mode');
      throw resourceError(
        file,
        `${line === undefined ? '' : `line ${line}: `}${errorMessage(err)}`,
        err,
      );
    }
  }
  const uid = int('uid');
  const gid = int('gid');
  const engineText = str('engine');
  const engine = engineFor(srcName, engineText);
  if (engine === undefined) throw bad('engine', `"go" or "handlebars" (got "${engineText}")`);

  return Object.freeze({
    file,
    src: join(options.templateDir, srcName),
    srcName,
    dest,
    prefix,
    keys: Object.freeze(keys),
    mode,
    // confd: uid/gid -1 means the effective uid/gid of the process.
    uid: uid === undefined || uid < 0 ? undefined : uid,
    gid: gid === undefined || gid < 0 ? undefined : gid,
    owner: str('owner') || undefined,
    group: str('group') || undefined,
    checkCmd: str('check_cmd') || undefined,
    reloadCmd: str('reload_cmd') || undefined,
    engine,
  });
}

/** loadResources reads every resource file under `resourceDir`, logging as confd does. */
export async function loadResources(options: LoadResourcesOptions): Promise<LoadResourcesResult> {
  const { logger } = options;
  try {
    statSync(options.confdir);
  } catch {
    logger.warn(`Cannot load template resources: confdir '${options.confdir}' does not exist`);
    return { resources: [], errors: [] };
  }
  logger.debug(`Loading template resources from confdir ${options.confdir}`);
  let files: string[];
  try {
    files = walkResourceFiles(options.resourceDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg =
      code === 'ENOENT'
        ? `stat ${options.resourceDir}: no such file or directory`
        : `${options.resourceDir}: ${errorMessage(err)}`;
    return {
      resources: [],
      errors: [new ConfdError(ErrorCode.RESOURCE_INVALID, msg, { cause: err })],
    };
  }
  if (files.length === 0) logger.warn('Found no templates');
  const resources: TemplateResource[] = [];
  const errors: ConfdError[] = [];
  for (const file of files) logger.debug(`Found template: ${file}`);
  for (const file of files) {
    logger.debug(`Loading template resource from ${file}`);
    try {
      const text = readFileSync(file, 'utf8');
      resources.push(await parseResource(file, text, options));
    } catch (err) {
      errors.push(err instanceof ConfdError ? err : resourceError(file, errorMessage(err), err));
    }
  }
  return { resources, errors };
}

/** describeResource names a resource in logs: its TOML file's base name. */
export function describeResource(resource: TemplateResource): string {
  return basename(resource.file);
}
