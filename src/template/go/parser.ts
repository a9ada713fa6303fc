/**
 * The parser of Go's text/template: builds one {@link Tree} per template (the source itself plus
 * every `define`/`block`) and reports errors with Go's exact text, e.g.
 * `template: name:2: unexpected EOF`.
 */
import { ConfdError, ErrorCode } from '../../errors.js';
import { BUILTIN_NAMES } from './builtins.js';
import { lex, Tok, type Token, type TokType } from './lexer.js';
import {
  NodeKind,
  nodeString,
  type ArgNode,
  type BranchNode,
  type CommandNode,
  type ListNode,
  type MarkerNode,
  type Node,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from './nodes.js';
import { goQuote } from '../../go/strconv.js';
import { parseNumberLiteral, unquote } from './strconv.js';

/** ParsedTemplates is the result of parsing one source: its trees by name. */
export interface ParsedTemplates {
  /** The name of the top-level template (also the file name in errors). */
  readonly name: string;
  /** The source text (for line/column computation in execution errors). */
  readonly text: string;
  /** Every tree, by template name. */
  readonly trees: ReadonlyMap<string, Tree>;
}

/** Maximum nesting of parenthesised pipelines (Go allows 10000; JS stacks are smaller). */
const MAX_PAREN_DEPTH = 1000;

/** Cursor is the token stream shared by nested tree parsers (Go shares one lexer). */
interface Cursor {
  readonly tokens: Token[];
  i: number;
  /** High-water mark: tokens below it have been fetched from the "lexer". */
  hw: number;
  readonly eof: Token;
}

/** tokenString prints a token as Go's `item.String()`. */
function tokenString(t: Token): string {
  if (t.type === Tok.EOF) return 'EOF';
  if (t.type === Tok.Error) return t.val;
  if (t.type > Tok.Keyword) return `<${t.val}>`;
  if (Buffer.byteLength(t.val) > 10) return `${goQuote([...t.val].slice(0, 10).join(''))}...`;
  return goQuote(t.val);
}

function parseError(message: string): ConfdError {
  return new ConfdError(ErrorCode.TEMPLATE_PARSE, message);
}

function isEmptyTree(n: Node | undefined): boolean {
  if (n === undefined) return true;
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
  switch (n.kind) {
    case NodeKind.List:
      return n.nodes.every(isEmptyTree);
    case NodeKind.Text:
      // bytes.TrimSpace: Unicode white space (not the BOM, which JS's trim() also strips).
      return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/.test(
        n.text,
      );
    default:
      return false;
  }
}

/** TreeParser parses one tree; `define` and `block` start nested parsers on the same cursor. */
class TreeParser {
  name: string;
  readonly #parseName: string;
  readonly #cur: Cursor;
  readonly #trees: Map<string, Tree>;
  readonly #hasFunction: (name: string) => boolean;
  #lastLine = 0;
  #vars: string[] = ['$'];
  #actionLine = 0;
  #rangeDepth = 0;
  #parenDepth = 0;

  constructor(
    name: string,
    parseName: string,
    cur: Cursor,
    trees: Map<string, Tree>,
    hasFunction: (name: string) => boolean,
  ) {
    this.name = name;
    this.#parseName = parseName;
    this.#cur = cur;
    this.#trees = trees;
    this.#hasFunction = hasFunction;
  }

  // --- token stream -------------------------------------------------------------------------

  #at(i: number): Token {
    return this.#cur.tokens[i] ?? this.#cur.eof;
  }

  #fetch(i: number): Token {
    const tok = this.#at(i);
    if (i >= this.#cur.hw) {
      this.#cur.hw = i + 1;
      this.#lastLine = tok.line;
    }
    return tok;
  }

  #next(): Token {
    const tok = this.#fetch(this.#cur.i);
    this.#cur.i++;
    return tok;
  }

  #peek(): Token {
    return this.#fetch(this.#cur.i);
  }

  #backup(): void {
    this.#cur.i--;
  }

  #nextNonSpace(): Token {
    for (;;) {
      const t = this.#next();
      if (t.type !== Tok.Space) return t;
    }
  }

  #peekNonSpace(): Token {
    const t = this.#nextNonSpace();
    this.#backup();
    return t;
  }

  // --- errors -------------------------------------------------------------------------------

  #errorf(message: string): never {
    throw parseError(`template: ${this.#parseName}:${this.#lastLine}: ${message}`);
  }

  #expect(expected: TokType, context: string): Token {
    const t = this.#nextNonSpace();
    if (t.type !== expected) this.#unexpected(t, context);
    return t;
  }

  #unexpected(t: Token, context: string): never {
    if (t.type === Tok.Error) {
      let extra = '';
      if (this.#actionLine !== 0 && this.#actionLine !== t.line) {
        extra = ` in action started at ${this.#parseName}:${this.#actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.#errorf(`${t.val}${extra}`);
    }
    this.#errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  // --- structure ----------------------------------------------------------------------------

  #add(root: ListNode): void {
    const existing = this.#trees.get(this.name);
    if (existing === undefined || isEmptyTree(existing.root)) {
      this.#trees.set(this.name, { name: this.name, root });
      return;
    }
    if (!isEmptyTree(root)) {
      this.#errorf(`template: multiple definition of template ${goQuote(this.name)}`);
    }
  }

  /** parseTop parses the whole source as the top-level template. */
  parseTop(): void {
    const root: ListNode = { kind: NodeKind.List, pos: this.#peek().pos, nodes: [] };
    while (this.#peek().type !== Tok.EOF) {
      if (this.#peek().type === Tok.LeftDelim) {
        const delimAt = this.#cur.i;
        this.#next();
        if (this.#nextNonSpace().type === Tok.Define) {
          const def = new TreeParser(
            'definition',
            this.#parseName,
            this.#cur,
            this.#trees,
            this.#hasFunction,
          );
          def.#parseDefinition();
          continue;
        }
        this.#cur.i = delimAt;
      }
      const n = this.#textOrAction();
      if (n.kind === NodeKind.End || n.kind === NodeKind.Else) {
        this.#errorf(`unexpected ${nodeString(n)}`);
      }
      root.nodes.push(n);
    }
    this.#add(root);
  }

  #parseDefinition(): void {
    const context = 'define clause';
    const t = this.#nextNonSpace();
    if (t.type !== Tok.String && t.type !== Tok.RawString) this.#unexpected(t, context);
    this.name = this.#unquote(t.val);
    this.#expect(Tok.RightDelim, context);
    const [root, end] = this.#itemList();
    if (end.kind !== NodeKind.End) this.#errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.#add(root);
  }

  #unquote(lit: string): string {
    try {
      return unquote(lit);
    } catch (err) {
      return this.#errorf((err as Error).message);
    }
  }

  #itemList(): [ListNode, MarkerNode] {
    const list: ListNode = { kind: NodeKind.List, pos: this.#peekNonSpace().pos, nodes: [] };
    while (this.#peekNonSpace().type !== Tok.EOF) {
      const n = this.#textOrAction();
      if (n.kind === NodeKind.End || n.kind === NodeKind.Else) return [list, n];
      list.nodes.push(n);
    }
    return this.#errorf('unexpected EOF');
  }

  #textOrAction(): Node {
    const t = this.#nextNonSpace();
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (t.type) {
      case Tok.Text:
        return { kind: NodeKind.Text, pos: t.pos, text: t.val };
      case Tok.LeftDelim:
        this.#actionLine = t.line;
        try {
          return this.#action();
        } finally {
          this.#actionLine = 0;
        }
      default:
        return this.#unexpected(t, 'input');
    }
  }

  #action(): Node {
    const t = this.#nextNonSpace();
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (t.type) {
      case Tok.Block:
        return this.#blockControl();
      case Tok.Break:
      case Tok.Continue: {
        const word = t.type === Tok.Break ? 'break' : 'continue';
        const close = this.#nextNonSpace();
        if (close.type !== Tok.RightDelim) this.#unexpected(close, `{{${word}}}`);
        if (this.#rangeDepth === 0) this.#errorf(`{{${word}}} outside {{range}}`);
        return {
          kind: t.type === Tok.Break ? NodeKind.Break : NodeKind.Continue,
          pos: t.pos,
          line: t.line,
        };
      }
      case Tok.Else:
        return this.#elseControl();
      case Tok.End: {
        const close = this.#expect(Tok.RightDelim, 'end');
        return { kind: NodeKind.End, pos: close.pos, line: close.line };
      }
      case Tok.If:
        return this.#branch('if');
      case Tok.Range:
        return this.#branch('range');
      case Tok.Template:
        return this.#templateControl();
      case Tok.With:
        return this.#branch('with');
    }
    this.#backup();
    const start = this.#peek();
    return {
      kind: NodeKind.Action,
      pos: start.pos,
      line: start.line,
      pipe: this.#pipeline('command', Tok.RightDelim),
    };
  }

  #elseControl(): MarkerNode {
    const peek = this.#peekNonSpace();
    if (peek.type === Tok.If || peek.type === Tok.With) {
      return { kind: NodeKind.Else, pos: peek.pos, line: peek.line };
    }
    const t = this.#expect(Tok.RightDelim, 'else');
    return { kind: NodeKind.Else, pos: t.pos, line: t.line };
  }

  #branch(context: 'if' | 'range' | 'with'): BranchNode {
    const saved = this.#vars.length;
    try {
      const pipe = this.#pipeline(context, Tok.RightDelim);
      if (context === 'range') this.#rangeDepth++;
      const [list, next] = this.#itemList();
      if (context === 'range') this.#rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.kind === NodeKind.Else) {
        const following = this.#peek().type;
        if (context === 'if' && following === Tok.If) {
          this.#next();
          elseList = { kind: NodeKind.List, pos: next.pos, nodes: [this.#branch('if')] };
        } else if (context === 'with' && following === Tok.With) {
          this.#next();
          elseList = { kind: NodeKind.List, pos: next.pos, nodes: [this.#branch('with')] };
        } else {
          const [els, end] = this.#itemList();
          if (end.kind !== NodeKind.End) this.#errorf(`expected end; found ${nodeString(end)}`);
          elseList = els;
        }
      }
      const kind =
        context === 'if' ? NodeKind.If : context === 'range' ? NodeKind.Range : NodeKind.With;
      return { kind, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.#vars.length = saved;
    }
  }

  #templateName(t: Token, context: string): string {
    if (t.type === Tok.String || t.type === Tok.RawString) return this.#unquote(t.val);
    return this.#unexpected(t, context);
  }

  #blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.#nextNonSpace();
    const name = this.#templateName(t, context);
    const pipe = this.#pipeline(context, Tok.RightDelim);
    const block = new TreeParser(name, this.#parseName, this.#cur, this.#trees, this.#hasFunction);
    const [root, end] = block.#itemList();
    if (end.kind !== NodeKind.End) this.#errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.#add(root);
    return { kind: NodeKind.Template, pos: t.pos, line: t.line, name, pipe };
  }

  #templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.#nextNonSpace();
    const name = this.#templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.#nextNonSpace().type !== Tok.RightDelim) {
      this.#backup();
      pipe = this.#pipeline(context, Tok.RightDelim);
    }
    return { kind: NodeKind.Template, pos: t.pos, line: t.line, name, pipe };
  }

  #pipeline(context: string, end: TokType): PipeNode {
    const start = this.#peekNonSpace();
    const pipe: PipeNode = {
      kind: NodeKind.Pipe,
      pos: start.pos,
      line: start.line,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    decls: for (;;) {
      const v = this.#peekNonSpace();
      if (v.type !== Tok.Variable) break;
      const vAt = this.#cur.i;
      this.#next();
      const next = this.#peekNonSpace();
      if (next.type === Tok.Assign || next.type === Tok.Declare) {
        pipe.isAssign = next.type === Tok.Assign;
        this.#nextNonSpace();
        pipe.decl.push(this.#variable(v.pos, v.val));
        this.#vars.push(v.val);
      } else if (next.type === Tok.Char && next.val === ',') {
        this.#nextNonSpace();
        pipe.decl.push(this.#variable(v.pos, v.val));
        this.#vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const k = this.#peekNonSpace().type;
          if (k === Tok.Variable || k === Tok.RightDelim || k === Tok.RightParen) continue decls;
          this.#errorf('range can only initialize variables');
        }
        this.#errorf(`too many declarations in ${context}`);
      } else {
        // "$x foo": the variable is an argument, not a declaration; push it back.
        this.#cur.i = vAt;
      }
      break;
    }
    for (;;) {
      const t = this.#nextNonSpace();
      if (t.type === end) {
        this.#checkPipeline(pipe, context);
        return pipe;
      }
      // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
      switch (t.type) {
        case Tok.Bool:
        case Tok.CharConstant:
        case Tok.Complex:
        case Tok.Dot:
        case Tok.Field:
        case Tok.Identifier:
        case Tok.Number:
        case Tok.Nil:
        case Tok.RawString:
        case Tok.String:
        case Tok.Variable:
        case Tok.LeftParen:
          this.#backup();
          pipe.cmds.push(this.#command());
          break;
        default:
          this.#unexpected(t, context);
      }
    }
  }

  #checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.#errorf(`missing value for ${context}`);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const first = pipe.cmds[i].args[0];
      // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
      switch (first.kind) {
        case NodeKind.Bool:
        case NodeKind.Dot:
        case NodeKind.Nil:
        case NodeKind.Number:
        case NodeKind.String:
          this.#errorf(`non executable command in pipeline stage ${i + 1}`);
      }
    }
  }

  #command(): CommandNode {
    const cmd: CommandNode = { kind: NodeKind.Command, pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.#next();
      if (t.type === Tok.Space) continue;
      if (t.type === Tok.RightDelim || t.type === Tok.RightParen) this.#backup();
      else if (t.type !== Tok.Pipe) this.#unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.#errorf('empty command');
    return cmd;
  }

  #operand(): ArgNode | undefined {
    const node = this.#term();
    if (node === undefined) return undefined;
    if (this.#peek().type !== Tok.Field) return node;
    const chainPos = this.#peek().pos;
    const fields: string[] = [];
    while (this.#peek().type === Tok.Field) fields.push(this.#next().val.slice(1));
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (node.kind) {
      case NodeKind.Field:
        // Go quirk: the merged field node takes the position of the first chained field.
        return { kind: NodeKind.Field, pos: chainPos, ident: [...node.ident, ...fields] };
      case NodeKind.Variable:
        return { kind: NodeKind.Variable, pos: chainPos, ident: [...node.ident, ...fields] };
      case NodeKind.Bool:
      case NodeKind.String:
      case NodeKind.Number:
      case NodeKind.Nil:
      case NodeKind.Dot:
        return this.#errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { kind: NodeKind.Chain, pos: chainPos, node, field: fields };
    }
  }

  #variable(pos: number, text: string): VariableNode {
    return { kind: NodeKind.Variable, pos, ident: text.split('.') };
  }

  #term(): ArgNode | undefined {
    const t = this.#nextNonSpace();
    // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- default covers the rest
    switch (t.type) {
      case Tok.Identifier:
        if (!this.#hasFunction(t.val)) this.#errorf(`function ${goQuote(t.val)} not defined`);
        return { kind: NodeKind.Identifier, pos: t.pos, ident: t.val };
      case Tok.Dot:
        return { kind: NodeKind.Dot, pos: t.pos };
      case Tok.Nil:
        return { kind: NodeKind.Nil, pos: t.pos };
      case Tok.Variable: {
        const v = this.#variable(t.pos, t.val);
        if (!this.#vars.includes(v.ident[0])) {
          this.#errorf(`undefined variable ${goQuote(v.ident[0])}`);
        }
        return v;
      }
      case Tok.Field:
        return { kind: NodeKind.Field, pos: t.pos, ident: t.val.slice(1).split('.') };
      case Tok.Bool:
        return { kind: NodeKind.Bool, pos: t.pos, value: t.val === 'true' };
      case Tok.CharConstant:
      case Tok.Complex:
      case Tok.Number: {
        try {
          const lit = parseNumberLiteral(t.val, t.type === Tok.CharConstant);
          return { kind: NodeKind.Number, pos: t.pos, text: t.val, ...lit };
        } catch (err) {
          return this.#errorf((err as Error).message);
        }
      }
      case Tok.LeftParen: {
        if (this.#parenDepth >= MAX_PAREN_DEPTH) this.#errorf('max expression depth exceeded');
        this.#parenDepth++;
        try {
          return this.#pipeline('parenthesized pipeline', Tok.RightParen);
        } finally {
          this.#parenDepth--;
        }
      }
      case Tok.String:
      case Tok.RawString:
        return { kind: NodeKind.String, pos: t.pos, quoted: t.val, text: this.#unquote(t.val) };
    }
    this.#backup();
    return undefined;
  }
}

/**
 * parseTemplate parses Go template source into its named trees. `funcNames` lists the library's
 * function names (builtins are added), or is a predicate over every callable name; Go rejects
 * unknown functions at parse time. Throws ConfdError TEMPLATE_PARSE.
 */
export function parseTemplate(
  source: string,
  name: string,
  funcNames: Iterable<string> | ((name: string) => boolean),
): ParsedTemplates {
  let hasFunction: (name: string) => boolean;
  if (typeof funcNames === 'function') {
    hasFunction = funcNames;
  } else {
    const known = new Set<string>([...BUILTIN_NAMES, ...funcNames]);
    hasFunction = (n) => known.has(n);
  }
  const tokens = lex(source, !hasFunction('break'), !hasFunction('continue'));
  const last = tokens[tokens.length - 1];
  const cur: Cursor = {
    tokens,
    i: 0,
    hw: 0,
    eof: { type: Tok.EOF, pos: source.length, val: '', line: last?.line ?? 1 },
  };
  const trees = new Map<string, Tree>();
  try {
    new TreeParser(name, name, cur, trees, hasFunction).parseTop();
  } catch (err) {
    // Absurdly deep nesting exhausts the JavaScript stack; report it as a parse error.
    if (err instanceof RangeError) {
      throw parseError(`template: ${name}: nesting too deep: ${err.message}`);
    }
    throw err;
  }
  return { name, text: source, trees };
}
