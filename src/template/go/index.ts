/**
 * The Go text/template engine: compiles confd templates once and renders them byte for byte as
 * confd (Go 1.19+) does, with confd's function library. See docs/go-templates.md.
 */
import { FUNCTION_NAMES, createFunctions } from '../functions.js';
import type { CompiledTemplate, RenderContext, TemplateEngine } from '../types.js';
import { createLookupRecorder, type LookupRecorder } from '../values.js';
import { BUILTIN_NAMES } from './builtins.js';
import { execute, type GoFunction } from './exec.js';
import { parseTemplate } from './parser.js';
import { CONFD_SIGNATURES, type Signature } from './signatures.js';

export { execute, type ExecuteOptions, type GoFunction } from './exec.js';
export { parseTemplate, type ParsedTemplates } from './parser.js';
export { sprint, sprintf, sprintln, printString } from './fmt.js';
export { BUILTIN_NAMES } from './builtins.js';
export { CONFD_SIGNATURES, type ParamType, type Signature } from './signatures.js';

/** FunctionFactory builds the function map for one render. */
export type FunctionFactory = (
  context: RenderContext,
  recorder: LookupRecorder,
) => Readonly<Record<string, GoFunction>>;

/** GoEngineOptions configures {@link createGoEngine}. */
export interface GoEngineOptions {
  /** Names of the functions `functions` provides (checked at parse time, as Go does). */
  readonly functionNames: readonly string[];
  /** Builds the functions for one render. */
  readonly functions: FunctionFactory;
  /** Go signatures of the functions, to check arguments before calls as Go does. */
  readonly signatures?: Readonly<Record<string, Signature>>;
}

/** createGoEngine builds a Go template engine over a given function library. */
export function createGoEngine(options: GoEngineOptions): TemplateEngine {
  const known = new Set<string>([...BUILTIN_NAMES, ...options.functionNames]);
  const hasFunction = (name: string): boolean => known.has(name);
  return {
    name: 'go',
    compile(source: string, name: string): CompiledTemplate {
      const parsed = parseTemplate(source, name, hasFunction);
      return {
        render(context: RenderContext) {
          const recorder = createLookupRecorder();
          const functions = options.functions(context, recorder);
          const output = execute(parsed, { functions, signatures: options.signatures });
          return { output, missingLookups: recorder.missing };
        },
      };
    },
  };
}

/** RenderGoTemplateOptions configures {@link renderGoTemplate}. */
export interface RenderGoTemplateOptions {
  /** The template name used in errors; defaults to `template`. */
  readonly name?: string;
  /** The data (`.` and `$`), e.g. confd's `{ src: stagePath }` for check_cmd. */
  readonly data?: unknown;
  /** Functions beyond the builtins; none by default. */
  readonly functions?: Readonly<Record<string, GoFunction>>;
}

/**
 * renderGoTemplate parses and executes a one-off Go template, as confd does for `check_cmd`
 * (`{{.src}}`). Throws ConfdError TEMPLATE_PARSE / TEMPLATE_EXEC with Go's error text.
 */
export function renderGoTemplate(source: string, options: RenderGoTemplateOptions = {}): string {
  const functions = options.functions ?? {};
  const known = new Set<string>([...BUILTIN_NAMES, ...Object.keys(functions)]);
  const parsed = parseTemplate(source, options.name ?? 'template', (n) => known.has(n));
  return execute(parsed, { functions, data: options.data });
}

/** goTemplateEngine is the Go text/template engine with confd's function library. */
export const goTemplateEngine: TemplateEngine = createGoEngine({
  functionNames: FUNCTION_NAMES,
  functions: (context, recorder) => createFunctions(context, recorder),
  signatures: CONFD_SIGNATURES,
});
