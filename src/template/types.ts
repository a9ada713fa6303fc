/**
 * The template port: an engine compiles template source once and renders it against a snapshot of
 * keys. Rendering is pure: it never touches disk or network. Functions that need I/O (lookupIP,
 * lookupSRV, and later service lookups) read a resolved cache and record what they miss, so the
 * caller resolves the misses and renders again (dependency discovery, as consul-template does).
 */

/** TemplateEngineName names the two engines: Go text/template and handlebars. */
export type TemplateEngineName = 'go' | 'handlebars';

/** KeyValueSnapshot is the resource's keys after prefix stripping (confd's memkv contents). */
export type KeyValueSnapshot = ReadonlyMap<string, string>;

/** RenderContext is what a render may read. */
export interface RenderContext {
  /** The keys of this resource, `/`-rooted after prefix stripping. */
  readonly keys: KeyValueSnapshot;
  /** Environment for getenv. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock for datetime. */
  readonly now: () => number;
  /** Results of I/O lookups resolved before this render, keyed by lookup id. */
  readonly lookups?: ReadonlyMap<string, unknown>;
  /**
   * fileExists backs the `fileExists` function (confd: `os.Stat`, false only when the path does
   * not exist). When absent, the library uses a real stat, its only file-system access.
   */
  readonly fileExists?: (path: string) => boolean;
}

/** RenderResult is the rendered text plus what the template used and what it still needs. */
export interface RenderResult {
  readonly output: string;
  /** Lookups the template asked for that were not in `RenderContext.lookups` (id → request). */
  readonly missingLookups: ReadonlyMap<string, LookupRequest>;
}

/** LookupRequest is one I/O lookup a template function asked for. */
export type LookupRequest =
  | { kind: 'ip'; host: string }
  | { kind: 'srv'; service: string; proto: string; name: string }
  | ServiceLookupRequest;

/**
 * ServiceLookupRequest is a catalog lookup (`service`, `services`, `nodes`), resolved by the
 * backend. `passing` false means every health state (`"web|any"`); `tag` filters instances.
 */
export type ServiceLookupRequest =
  | { kind: 'service'; name: string; tag: string; passing: boolean }
  | { kind: 'services' }
  | { kind: 'nodes' };

/** ServiceInstance is one entry `service` returns (Address: service address, else node's). */
export interface ServiceInstance {
  Node: string;
  Address: string;
  ID: string;
  Name: string;
  Port: number;
  Tags: string[];
  Meta: Record<string, string>;
}

/** CompiledTemplate is a parsed template, rendered many times. */
export interface CompiledTemplate {
  render(context: RenderContext): RenderResult;
}

/** TemplateEngine compiles source text; `name` is used in error messages (confd: base(src)). */
export interface TemplateEngine {
  readonly name: TemplateEngineName;
  compile(source: string, name: string): CompiledTemplate;
}
