/**
 * The executor of parsed Go templates: walks the tree against the data (confd passes nil), calls
 * functions and methods, and writes output. Errors carry Go's exact text, e.g.
 * `template: t:2:10: executing "t" at <getv "/x">: error calling getv: key does not exist: /x`.
 */
import { ConfdError, ErrorCode, type ErrorCodeValue } from '../../errors.js';
import { KeyMissingError } from '../memkv.js';
import { GoFloat, KVPair, TemplateArgumentError } from '../values.js';
import { BUILTINS, isTrue, type Builtin } from './builtins.js';
import { intValueOf, isMapValue, mapEntries, printString, typeName } from './fmt.js';
import {
  NodeKind,
  nodeString,
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type IdentifierNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from './nodes.js';
import type { ParsedTemplates } from './parser.js';
import type { ParamType, Signature } from './signatures.js';
import { goQuote } from '../../go/strconv.js';

/** GoFunction is a function callable from a template; it throws to report an error. */
export type GoFunction = (...args: unknown[]) => unknown;

/** ExecuteOptions are the inputs of one execution. */
export interface ExecuteOptions {
  /** Functions by name (the library); builtins are always available. */
  readonly functions: Readonly<Record<string, GoFunction>>;
  /** The data (`.` and `$`); confd executes with nil, i.e. `undefined`. */
  readonly data?: unknown;
  /** Go signatures of the functions, checked before each call as Go does (optional). */
  readonly signatures?: Readonly<Record<string, Signature>>;
}

/** Maximum nesting of `{{template}}` calls (Go allows 100000; JS stacks are smaller). */
const MAX_EXEC_DEPTH = 1000;

/** The "no final argument" marker of a pipeline's first command. */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const BREAK = 1;
const CONTINUE = 2;
type Signal = 0 | typeof BREAK | typeof CONTINUE;

interface Variable {
  readonly name: string;
  value: unknown;
}

/** ExecFailure carries a Go error text out of the walk. */
class ExecFailure extends Error {
  readonly code: ErrorCodeValue;
  constructor(message: string, code: ErrorCodeValue, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** State is one execution's mutable state (Go's `state`). */
class State {
  out = '';
  node: Node | undefined = undefined;
  vars: Variable[];
  tmplName: string;
  depth = 0;
  readonly #parsed: ParsedTemplates;
  readonly #functions: Readonly<Record<string, GoFunction>>;
  readonly #signatures: Readonly<Record<string, Signature>>;

  constructor(parsed: ParsedTemplates, options: ExecuteOptions) {
    const data = options.data;
    this.#parsed = parsed;
    this.#functions = options.functions;
    this.#signatures = options.signatures ?? {};
    this.tmplName = parsed.name;
    this.vars = [{ name: '$', value: data }];
  }

  // --- errors -------------------------------------------------------------------------------

  /** location is Go's `ErrorContext`: `name:line:byteColumn` of a node. */
  #location(node: Node): string {
    const text = this.#parsed.text;
    const pos = Math.min(node.pos, text.length);
    const before = text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    let line = 1;
    for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
    const col = utf8Length(nl < 0 ? before : before.slice(nl + 1));
    return `${this.#parsed.name}:${line}:${col}`;
  }

  errorf(message: string, code: ErrorCodeValue = ErrorCode.TEMPLATE_EXEC, cause?: unknown): never {
    const name = goQuote(this.tmplName);
    const text =
      this.node === undefined
        ? `template: ${this.tmplName}: ${message}`
        : `template: ${this.#location(this.node)}: executing ${name} at <${nodeString(this.node)}>: ${message}`;
    throw new ExecFailure(text, code, cause);
  }

  // --- variables ----------------------------------------------------------------------------

  #varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  #setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ------------------------------------------------------------------------------

  walk(dot: unknown, node: Node): Signal {
    this.node = node;
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (node.kind) {
      case NodeKind.Text:
        this.out += node.text;
        return 0;
      case NodeKind.Action: {
        const val = this.#evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.#printValue(node, val);
        return 0;
      }
      case NodeKind.List: {
        const nodes = node.nodes;
        for (let i = 0; i < nodes.length; i++) {
          const sig = this.walk(dot, nodes[i]);
          if (sig !== 0) return sig;
        }
        return 0;
      }
      case NodeKind.If:
      case NodeKind.With:
        return this.#walkIfOrWith(dot, node);
      case NodeKind.Range:
        return this.#walkRange(dot, node);
      case NodeKind.Template:
        this.#walkTemplate(dot, node);
        return 0;
      case NodeKind.Break:
        return BREAK;
      case NodeKind.Continue:
        return CONTINUE;
      default:
        return this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  #walkIfOrWith(dot: unknown, node: BranchNode): Signal {
    const mark = this.vars.length;
    try {
      const val = this.#evalPipeline(dot, node.pipe);
      if (isTrue(val)) {
        return this.walk(node.kind === NodeKind.With ? val : dot, node.list);
      }
      if (node.elseList !== undefined) return this.walk(dot, node.elseList);
      return 0;
    } finally {
      this.vars.length = mark;
    }
  }

  #walkRange(dot: unknown, r: BranchNode): Signal {
    this.node = r;
    const outer = this.vars.length;
    try {
      const val = this.#evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): Signal => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            this.#setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
          } else {
            this.vars[this.vars.length - 1].value = elem;
          }
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.#setVar(decl[1].ident[0], elem);
          else this.vars[this.vars.length - 2].value = index;
        }
        const sig = this.walk(elem, r.list);
        if (this.vars.length !== mark) this.vars.length = mark;
        return sig;
      };
      if (Array.isArray(val)) {
        if (val.length > 0) {
          for (let i = 0; i < val.length; i++) {
            if (one(i, val[i]) === BREAK) break;
          }
          return 0;
        }
      } else if (isMapValue(val)) {
        const entries = mapEntries(val);
        if (entries.length > 0) {
          for (const [k, v] of entries) {
            if (one(k, v) === BREAK) break;
          }
          return 0;
        }
      } else if (val !== undefined && val !== null) {
        const n = typeof val === 'object' ? undefined : intValueOf(val);
        if (n === undefined) this.errorf(`range can't iterate over ${printString(val)}`);
        // Go 1.22+: range over an integer n runs i = 0..n-1.
        if (decl.length > 1) {
          this.errorf(`can't use ${printString(val)} to iterate over more than one variable`);
        }
        const count = Number(n);
        if (count > 0) {
          for (let i = 0; i < count; i++) {
            if (one(i, i) === BREAK) break;
          }
          return 0;
        }
      }
      if (r.elseList !== undefined) return this.walk(dot, r.elseList);
      return 0;
    } finally {
      this.vars.length = outer;
    }
  }

  #walkTemplate(dot: unknown, t: TemplateNode): void {
    this.node = t;
    const tree = this.#parsed.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) {
      this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    }
    const newDot = t.pipe === undefined ? undefined : this.#evalPipeline(dot, t.pipe);
    const savedVars = this.vars;
    const savedName = this.tmplName;
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    this.depth++;
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.depth--;
      this.vars = savedVars;
      this.tmplName = savedName;
    }
  }

  #printValue(node: Node, v: unknown): void {
    this.node = node;
    if (v === undefined || v === null) {
      this.out += '<no value>';
      return;
    }
    if (typeof v === 'string') {
      this.out += v;
      return;
    }
    if (typeof v === 'function') {
      this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    }
    this.out += printString(v);
  }

  // --- evaluation ---------------------------------------------------------------------------

  #evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.node = pipe;
    let value: unknown = MISSING;
    const cmds = pipe.cmds;
    for (let i = 0; i < cmds.length; i++) {
      value = this.#evalCommand(dot, cmds[i], value);
      // A nil interface{} result is "no value" (Go digs into interface values).
      if (value === null) value = undefined;
    }
    const decl = pipe.decl;
    for (let i = 0; i < decl.length; i++) {
      const name = decl[i].ident[0];
      if (pipe.isAssign) this.#setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  #notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
    }
  }

  #evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (first.kind) {
      case NodeKind.Field:
        return this.#evalFieldNode(dot, first, cmd.args, final);
      case NodeKind.Chain:
        return this.#evalChainNode(dot, first, cmd.args, final);
      case NodeKind.Identifier:
        return this.#evalFunction(dot, first, cmd, cmd.args, final);
      case NodeKind.Pipe:
        this.#notAFunction(cmd.args, final);
        return this.#evalPipeline(dot, first);
      case NodeKind.Variable:
        return this.#evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.node = first;
    this.#notAFunction(cmd.args, final);
    switch (first.kind) {
      case NodeKind.Bool:
        return first.value;
      case NodeKind.Dot:
        return dot;
      case NodeKind.Nil:
        return this.errorf('nil is not a command');
      case NodeKind.Number:
        return this.#idealConstant(first);
      case NodeKind.String:
        return first.text;
    }
  }

  #idealConstant(n: NumberNode): unknown {
    this.node = n;
    if (n.isComplex) return this.errorf(`complex constant ${n.text} is not supported`);
    const hexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    const runeInt = n.text[0] === "'";
    if (n.isFloat && !hexInt && !runeInt && /[.eEpP]/.test(n.text)) return new GoFloat(n.float);
    if (n.isInt) return n.int;
    if (n.isUint) return this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  #evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.node = field;
    return this.#evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  #evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[], final: Final): unknown {
    this.node = chain;
    if (chain.node.kind === NodeKind.Nil) {
      this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    }
    const pipe = this.#evalArg(dot, chain.node);
    return this.#evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  #evalVariableNode(
    dot: unknown,
    variable: VariableNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.node = variable;
    const value = this.#varValue(variable.ident[0]);
    if (variable.ident.length === 1) {
      this.#notAFunction(args, final);
      return value;
    }
    return this.#evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  #evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Node,
    ident: readonly string[],
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) {
      receiver = this.#evalField(dot, ident[i], node, NO_ARGS, MISSING, receiver);
    }
    return this.#evalField(dot, ident[n - 1], node, args, final, receiver);
  }

  #evalField(
    dot: unknown,
    fieldName: string,
    node: Node,
    args: readonly ArgNode[],
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) {
      return this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (typeof receiver === 'object') {
      if (isMapValue(receiver)) {
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        if (receiver instanceof Map)
          return receiver.has(fieldName) ? receiver.get(fieldName) : undefined;
        return Object.hasOwn(receiver, fieldName) ? receiver[fieldName] : undefined;
      }
      if (!Array.isArray(receiver) && !(receiver instanceof GoFloat) && isExported(fieldName)) {
        const member: unknown = (receiver as Record<string, unknown>)[fieldName];
        if (typeof member === 'function') {
          return this.#evalCall(dot, member as GoFunction, receiver, node, fieldName, args, final);
        }
        if (member !== undefined || Object.hasOwn(receiver, fieldName)) {
          if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
          return member;
        }
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  #evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: Node,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.node = node;
    const name = node.ident;
    if (name === 'and' || name === 'or') return this.#evalAndOr(dot, name, args, final);
    const builtin = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
    if (builtin !== undefined) return this.#evalBuiltin(dot, builtin, cmd, name, args, final);
    const fn = Object.hasOwn(this.#functions, name) ? this.#functions[name] : undefined;
    if (fn === undefined) return this.errorf(`${goQuote(name)} is not a defined function`);
    const sig = Object.hasOwn(this.#signatures, name) ? this.#signatures[name] : undefined;
    if (sig !== undefined) return this.#evalTypedCall(dot, fn, sig, cmd, name, args, final);
    return this.#evalCall(dot, fn, undefined, cmd, name, args, final);
  }

  /** evalTypedCall checks arity and argument types against a Go signature, then calls. */
  #evalTypedCall(
    dot: unknown,
    fn: GoFunction,
    sig: Signature,
    cmd: Node,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const given = Math.max(args.length - 1, 0);
    const numIn = given + (final === MISSING ? 0 : 1);
    const nParams = sig.params.length;
    const numFixed = sig.variadic ? nParams - 1 : given;
    if (sig.variadic) {
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${given}`);
      }
    } else if (numIn !== nParams) {
      this.errorf(`wrong number of args for ${name}: want ${nParams} got ${numIn}`);
    }
    const argv: unknown[] = [];
    for (let i = 0; i < given; i++) {
      const type = i < numFixed ? sig.params[i] : sig.params[nParams - 1];
      argv.push(this.#evalTypedArg(dot, type, args[i + 1]));
    }
    if (final !== MISSING) {
      let type = sig.params[nParams - 1];
      if (sig.variadic && numIn - 1 < numFixed) type = sig.params[numIn - 1]!;
      argv.push(this.#validateType(final, type));
    }
    let result: unknown;
    try {
      result = fn(...argv);
    } catch (err) {
      if (err instanceof ExecFailure) throw err;
      this.node = cmd;
      if (err instanceof TemplateArgumentError) {
        return this.errorf(err.message, ErrorCode.TEMPLATE_EXEC, err);
      }
      const code =
        err instanceof KeyMissingError ? ErrorCode.TEMPLATE_KEY_MISSING : ErrorCode.TEMPLATE_EXEC;
      const message = err instanceof Error ? err.message : String(err);
      return this.errorf(`error calling ${name}: ${message}`, code, err);
    }
    return result;
  }

  /** evalTypedArg is Go's evalArg for a parameter of a known type. */
  #evalTypedArg(dot: unknown, type: ParamType, n: ArgNode): unknown {
    this.node = n;
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (n.kind) {
      case NodeKind.Dot:
        return this.#validateType(dot, type);
      case NodeKind.Nil:
        if (type === 'interface {}') return null;
        if (type === '[]string' || type === '[]memkv.KVPair') return [];
        return this.errorf(`cannot assign nil to ${type}`);
      case NodeKind.Field:
        return this.#validateType(this.#evalFieldNode(dot, n, [n], MISSING), type);
      case NodeKind.Variable:
        return this.#validateType(this.#evalVariableNode(dot, n, NO_ARGS, MISSING), type);
      case NodeKind.Pipe:
        return this.#validateType(this.#evalPipeline(dot, n), type);
      case NodeKind.Identifier:
        return this.#validateType(this.#evalFunction(dot, n, n, [n], MISSING), type);
      case NodeKind.Chain:
        return this.#validateType(this.#evalChainNode(dot, n, NO_ARGS, MISSING), type);
      default:
        break;
    }
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (type) {
      case 'string':
        if (n.kind === NodeKind.String) return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === NodeKind.Number && n.isInt) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'interface {}':
        return this.#evalArg(dot, n);
      default:
        return this.errorf(`can't handle ${nodeString(n)} for arg of type ${type}`);
    }
  }

  /** validateType is Go's validateType: the value must be assignable to the parameter type. */
  #validateType(value: unknown, type: ParamType): unknown {
    if (value === undefined) {
      if (type === 'interface {}') return null;
      if (type === '[]string' || type === '[]memkv.KVPair') return [];
      return this.errorf(`invalid value; expected ${type}`);
    }
    let ok: boolean;
    switch (type) {
      case 'interface {}':
        return value;
      case 'string':
        ok = typeof value === 'string';
        break;
      case 'int':
        ok = (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
        break;
      case '[]string':
        ok = Array.isArray(value) && value.every((v) => typeof v === 'string');
        break;
      case '[]memkv.KVPair':
        ok = Array.isArray(value) && value.every((v) => v instanceof KVPair);
        break;
    }
    if (ok) return value;
    const got = value === null ? 'interface {}' : typeName(value);
    return this.errorf(`wrong type for value; expected ${type}; got ${got}`);
  }

  #evalAndOr(dot: unknown, name: string, args: readonly ArgNode[], final: Final): unknown {
    const count = Math.max(args.length - 1, 0) + (final === MISSING ? 0 : 1);
    if (count < 1)
      this.errorf(
        `wrong number of args for ${name}: want at least 1 got ${Math.max(args.length - 1, 0)}`,
      );
    const stopOn = name === 'or';
    let v: unknown = undefined;
    for (let i = 1; i < args.length; i++) {
      v = this.#evalArg(dot, args[i]);
      if (isTrue(v) === stopOn) return v;
    }
    if (final !== MISSING) v = final;
    return v;
  }

  #evalArgs(dot: unknown, args: readonly ArgNode[], final: Final, nilArgs: boolean): unknown[] {
    const argv: unknown[] = [];
    for (let i = 1; i < args.length; i++) {
      const v = this.#evalArg(dot, args[i]);
      argv.push(nilArgs && v === undefined ? null : v);
    }
    if (final !== MISSING) argv.push(nilArgs && final === undefined ? null : final);
    return argv;
  }

  #evalBuiltin(
    dot: unknown,
    builtin: Builtin,
    cmd: Node,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const given = Math.max(args.length - 1, 0);
    const numIn = given + (final === MISSING ? 0 : 1);
    if (builtin.variadic) {
      if (numIn < builtin.fixed) {
        this.errorf(
          `wrong number of args for ${name}: want at least ${builtin.fixed} got ${given}`,
        );
      }
    } else if (numIn !== builtin.fixed) {
      this.errorf(`wrong number of args for ${name}: want ${builtin.fixed} got ${numIn}`);
    }
    if (name === 'printf') this.#checkFormatArg(dot, args, final);
    const argv = this.#evalArgs(dot, args, final, builtin.nilArgs);
    try {
      return builtin.fn(argv);
    } catch (err) {
      this.node = cmd;
      return this.errorf(`error calling ${name}: ${(err as Error).message}`);
    }
  }

  /** printf's format is a Go `string` parameter: constants and values must be strings. */
  #checkFormatArg(dot: unknown, args: readonly ArgNode[], final: Final): void {
    const arg = args[1];
    if (arg === undefined) {
      if (final !== MISSING && typeof final !== 'string') this.#wrongString(final);
      return;
    }
    this.node = arg;
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (arg.kind) {
      case NodeKind.String:
        return;
      case NodeKind.Bool:
      case NodeKind.Number:
        this.errorf(`expected string; found ${nodeString(arg)}`);
        break;
      case NodeKind.Nil:
        this.errorf('cannot assign nil to string');
        break;
      default: {
        const v = this.#evalArg(dot, arg);
        this.node = arg;
        if (typeof v !== 'string') this.#wrongString(v);
      }
    }
  }

  #wrongString(v: unknown): never {
    if (v === undefined || v === null) return this.errorf('invalid value; expected string');
    return this.errorf(`wrong type for value; expected string; got ${typeName(v)}`);
  }

  #evalCall(
    dot: unknown,
    fn: GoFunction,
    receiver: object | undefined,
    node: Node,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const at = this.node;
    if (receiver !== undefined) {
      // A Go method: its JavaScript parameter count is its Go arity.
      const numIn = Math.max(args.length - 1, 0) + (final === MISSING ? 0 : 1);
      if (numIn !== fn.length)
        this.errorf(`wrong number of args for ${name}: want ${fn.length} got ${numIn}`);
    }
    const argv = this.#evalArgs(dot, args, final, true);
    let result: unknown;
    try {
      result = receiver === undefined ? fn(...argv) : fn.apply(receiver, argv);
    } catch (err) {
      if (err instanceof ExecFailure) throw err;
      if (err instanceof TemplateArgumentError) {
        this.node = err.message.startsWith('wrong number of args') ? at : node;
        return this.errorf(err.message, ErrorCode.TEMPLATE_EXEC, err);
      }
      this.node = node;
      const code =
        err instanceof KeyMissingError ? ErrorCode.TEMPLATE_KEY_MISSING : ErrorCode.TEMPLATE_EXEC;
      const message = err instanceof Error ? err.message : String(err);
      return this.errorf(`error calling ${name}: ${message}`, code, err);
    }
    return result;
  }

  #evalArg(dot: unknown, n: ArgNode): unknown {
    this.node = n;
    switch (n.kind) {
      case NodeKind.Dot:
        return dot;
      case NodeKind.Nil:
        return null;
      case NodeKind.Field:
        return this.#evalFieldNode(dot, n, [n], MISSING);
      case NodeKind.Variable:
        return this.#evalVariableNode(dot, n, NO_ARGS, MISSING);
      case NodeKind.Pipe:
        return this.#evalPipeline(dot, n);
      case NodeKind.Identifier:
        return this.#evalFunction(dot, n, n, [n], MISSING);
      case NodeKind.Chain:
        return this.#evalChainNode(dot, n, NO_ARGS, MISSING);
      case NodeKind.Bool:
        return n.value;
      case NodeKind.Number:
        return this.#idealConstant(n);
      case NodeKind.String:
        return n.text;
    }
  }
}

const NO_ARGS: readonly ArgNode[] = [];

function isExported(name: string): boolean {
  const c = name.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/**
 * execute runs the top-level template of `parsed` and returns its output. Throws ConfdError
 * TEMPLATE_EXEC (or TEMPLATE_KEY_MISSING for a missing key) with Go's error text.
 */
export function execute(parsed: ParsedTemplates, options: ExecuteOptions): string {
  const state = new State(parsed, options);
  const tree = parsed.trees.get(parsed.name);
  try {
    if (tree === undefined) {
      return state.errorf(`${goQuote(parsed.name)} is an incomplete or empty template`);
    }
    state.walk(options.data, tree.root);
    return state.out;
  } catch (err) {
    if (err instanceof ExecFailure) {
      throw new ConfdError(err.code, err.message, { cause: err.cause ?? undefined });
    }
    if (err instanceof RangeError) {
      throw new ConfdError(
        ErrorCode.TEMPLATE_EXEC,
        `template: ${parsed.name}: execution too deep: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
