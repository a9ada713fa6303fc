/**
 * The shapes the watcher works on. {@link TemplateResource} is defined here (and re-exported by
 * `src/resource.ts`, which loads it) because the watcher may import only its own folder.
 */
import type { TemplateEngineName } from '../template/types.js';

/** TemplateResource is one resolved `[template]` table of `conf.d`. */
export interface TemplateResource {
  /** The TOML file it came from; also its identity. */
  readonly file: string;
  /** The template path: `<confdir>/templates/<src>`. */
  readonly src: string;
  /** `src` as written in the file. */
  readonly srcName: string;
  readonly dest: string;
  /** The effective prefix, `/`-rooted (the global `-prefix` replaces the resource's). */
  readonly prefix: string;
  /** Keys to fetch: `path.Join(prefix, key)` for each configured key. */
  readonly keys: readonly string[];
  /** Permission bits, or undefined to keep dest's mode (0644 for a new file). */
  readonly mode: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly owner: string | undefined;
  readonly group: string | undefined;
  readonly checkCmd: string | undefined;
  readonly reloadCmd: string | undefined;
  readonly engine: TemplateEngineName;
}
