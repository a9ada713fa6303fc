/**
 * The handlebars template engine: templates named `*.hbs`/`*.handlebars` render with handlebars
 * instead of Go text/template, with the same function library registered as helpers under the
 * same names (`{{getv "/nginx/http/server/proxy"}}`, `{{#each (gets "/upstream/*")}}`). Each
 * engine uses its own isolated Handlebars environment; output is never HTML-escaped.
 */
import Handlebars from 'handlebars';
import { ConfdError, ErrorCode } from '../errors.js';
import { FUNCTION_NAMES, KeyMissingError, createFunctions } from './functions.js';
import type { CompiledTemplate, RenderContext, RenderResult, TemplateEngine } from './types.js';
import { GoFloat, createLookupRecorder, type TemplateFunction } from './values.js';

/**
 * Handlebars' own helpers that templates may use. `log` is left out on purpose: it writes to the
 * process's stdout, which confd keeps empty.
 */
const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup']);
const KNOWN = new Set<string>([...FUNCTION_NAMES, ...BUILTIN_HELPERS]);

/** HandlebarsEngineOptions configures {@link createHandlebarsEngine}. */
export interface HandlebarsEngineOptions {
  /** fileExists for the `fileExists` helper when the render context has none. */
  readonly fileExists?: (path: string) => boolean;
}

type HelperOptionsLike = { loc?: { start?: { line?: number; column?: number } } };
type Delegate = (context: unknown, options: { helpers: Record<string, unknown> }) => string;

/** createHandlebarsEngine makes a handlebars {@link TemplateEngine} with a fresh environment. */
export function createHandlebarsEngine(options: HandlebarsEngineOptions = {}): TemplateEngine {
  const env = Handlebars.create();
  const conditionals = numericConditionals(env);
  return {
    name: 'handlebars',
    compile(source: string, name: string): CompiledTemplate {
      let ast: hbs.AST.Program;
      try {
        ast = env.parse(source);
      } catch (err) {
        throw parseError(name, err);
      }
      checkHelpers(ast, name);
      const delegate = env.compile(ast, { noEscape: true, strict: false }) as unknown as Delegate;
      return {
        render(context: RenderContext): RenderResult {
          const recorder = createLookupRecorder();
          const fileExists = context.fileExists ?? options.fileExists;
          const functions = createFunctions(context, recorder, fileExists ? { fileExists } : {});
          // `log` would write to stdout, which confd keeps empty; it renders nothing instead.
          const helpers: Record<string, unknown> = { ...conditionals, log: () => '' };
          for (const [fn, impl] of Object.entries(functions)) helpers[fn] = helper(fn, impl);
          let output: string;
          try {
            output = delegate({}, { helpers });
          } catch (err) {
            throw execError(name, err);
          }
          return { output, missingLookups: recorder.missing };
        },
      };
    },
  };
}

/** handlebarsEngine is a ready handlebars engine with default options. */
export const handlebarsEngine: TemplateEngine = createHandlebarsEngine();

type BlockHelper = (this: unknown, ...args: unknown[]) => unknown;

/**
 * numericConditionals wraps handlebars' `if` and `unless` so that a JSON number (a GoFloat
 * object) is tested by its value: `{{#if n}}` is false for 0, as it is for a plain number.
 */
function numericConditionals(env: typeof Handlebars): Record<string, BlockHelper> {
  const builtins = env.helpers as Record<string, BlockHelper | undefined>;
  const out: Record<string, BlockHelper> = {};
  for (const name of ['if', 'unless']) {
    const builtin = builtins[name];
    if (builtin === undefined) continue;
    out[name] = function (this: unknown, ...args: unknown[]) {
      const unwrapped = args.map((a, i) =>
        i < args.length - 1 && a instanceof GoFloat ? a.value : a,
      );
      return builtin.apply(this, unwrapped);
    };
  }
  return out;
}

/** HelperCallError carries a library error out of handlebars with the call's name and place. */
class HelperCallError extends Error {
  readonly fn: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(fn: string, where: HelperOptionsLike | undefined, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.fn = fn;
    this.line = where?.loc?.start?.line;
    const col = where?.loc?.start?.column;
    this.column = col === undefined ? undefined : col + 1;
  }
}

function helper(fn: string, impl: TemplateFunction) {
  return (...args: unknown[]): unknown => {
    // Handlebars passes its options object last; library functions take only positional args.
    const options = args.pop() as HelperOptionsLike | undefined;
    try {
      return impl(...args);
    } catch (err) {
      throw new HelperCallError(fn, options, err);
    }
  };
}

function execError(name: string, err: unknown): ConfdError {
  if (err instanceof HelperCallError) {
    const where = err.line === undefined ? name : `${name}:${err.line}:${err.column ?? 0}`;
    const code =
      err.cause instanceof KeyMissingError
        ? ErrorCode.TEMPLATE_KEY_MISSING
        : ErrorCode.TEMPLATE_EXEC;
    return new ConfdError(code, `template: ${where}: error calling ${err.fn}: ${err.message}`, {
      cause: err.cause,
    });
  }
  const e = err as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const line = typeof e.lineNumber === 'number' ? `:${e.lineNumber}` : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new ConfdError(
    ErrorCode.TEMPLATE_EXEC,
    `template: ${name}${line}: ${firstLine(message)}`,
    {
      cause: err,
    },
  );
}

function parseError(name: string, err: unknown): ConfdError {
  const e = err as { message?: unknown; lineNumber?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  let line = typeof e.lineNumber === 'number' ? e.lineNumber : undefined;
  const m = /^Parse error on line (\d+):/.exec(message);
  let text = message.replace(/ - \d+:\d+$/, '');
  if (m) {
    line ??= Number(m[1]);
    // Jison's message is: the header, the source line, a caret line, then what it expected.
    const lines = message.split('\n');
    text = `parse error: ${lines[lines.length - 1] ?? ''}`;
  }
  const where = line === undefined ? name : `${name}:${line}`;
  return new ConfdError(ErrorCode.TEMPLATE_PARSE, `template: ${where}: ${firstLine(text)}`, {
    cause: err,
  });
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/**
 * checkHelpers rejects calls of unknown functions at compile time, as Go's parser does
 * (`function "foo" not defined`); handlebars would only fail when the call runs.
 */
function checkHelpers(ast: hbs.AST.Program, name: string): void {
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const n = node as {
      type?: string;
      path?: { type?: string; original?: unknown; parts?: unknown[]; data?: boolean };
      params?: unknown[];
      hash?: unknown;
      loc?: { start?: { line?: number } };
    };
    if (n.type !== undefined && /^(Partial|Decorator)/.test(n.type)) {
      const line = n.loc?.start?.line;
      const what = n.type.startsWith('Partial') ? 'partials' : 'decorators';
      throw new ConfdError(
        ErrorCode.TEMPLATE_PARSE,
        `template: ${line === undefined ? name : `${name}:${line}`}: ${what} are not supported`,
      );
    }
    const isCall =
      (n.type === 'MustacheStatement' ||
        n.type === 'SubExpression' ||
        n.type === 'BlockStatement') &&
      n.path?.type === 'PathExpression' &&
      n.path.data !== true &&
      ((n.params?.length ?? 0) > 0 || n.hash !== undefined || n.type === 'SubExpression');
    if (isCall && typeof n.path?.original === 'string' && !KNOWN.has(n.path.original)) {
      const line = n.loc?.start?.line;
      throw new ConfdError(
        ErrorCode.TEMPLATE_PARSE,
        `template: ${line === undefined ? name : `${name}:${line}`}: function "${n.path.original}" not defined`,
      );
    }
    for (const [key, value] of Object.entries(n)) {
      if (key !== 'loc' && typeof value === 'object') visit(value);
    }
  };
  visit(ast);
}
