/**
 * Compiled templates, parsed once and re-parsed only when their file changes (inode, size, mtime or
 * ctime differ). confd re-reads and re-parses every template on every pass. The per-pass check is
 * a synchronous stat: microseconds, where a thread-pool round trip cost more on every render.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';
import type { CompiledTemplate, TemplateEngineName } from '../template/types.js';

/** CompileFn compiles template source with the named engine; `name` is confd's base(src). */
export type CompileFn = (
  engine: TemplateEngineName,
  source: string,
  name: string,
) => CompiledTemplate | Promise<CompiledTemplate>;

/** CachedTemplate is a compiled template and the file version it came from. */
export interface CachedTemplate {
  readonly template: CompiledTemplate;
  /** Changes whenever the template was recompiled. */
  readonly version: string;
  /** True when this call compiled it. */
  readonly compiled: boolean;
}

/** TemplateCache hands out compiled templates by path. */
export interface TemplateCache {
  /**
   * get returns the compiled template at `src`. Throws RESOURCE_MISSING_TEMPLATE
   * (`Missing template: <src>`) or TEMPLATE_PARSE (`Unable to process template <src>, <err>`).
   */
  get(src: string, engine: TemplateEngineName): Promise<CachedTemplate>;
}

/** createTemplateCache builds an empty cache around an engine compile function. */
export function createTemplateCache(compile: CompileFn): TemplateCache {
  const entries = new Map<string, { version: string; template: CompiledTemplate }>();
  return {
    async get(src, engine) {
      let version: string;
      try {
        const st = statSync(src);
        version = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      } catch (err) {
        throw new ConfdError(ErrorCode.RESOURCE_MISSING_TEMPLATE, `Missing template: ${src}`, {
          cause: err,
        });
      }
      const key = `${engine}\0${src}`;
      const cached = entries.get(key);
      if (cached && cached.version === version) {
        return { template: cached.template, version, compiled: false };
      }
      let template: CompiledTemplate;
      try {
        // Synchronously too: a template is small and read only when it changed (four thread-pool
        // round trips saved, and `-onetime` never loads node:fs/promises).
        const source = readFileSync(src, 'utf8');
        template = await compile(engine, source, basename(src));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          throw new ConfdError(ErrorCode.RESOURCE_MISSING_TEMPLATE, `Missing template: ${src}`, {
            cause: err,
          });
        }
        throw new ConfdError(
          ErrorCode.TEMPLATE_PARSE,
          `Unable to process template ${src}, ${errorMessage(err)}`,
          { cause: err },
        );
      }
      entries.set(key, { version, template });
      return { template, version, compiled: true };
    },
  };
}
