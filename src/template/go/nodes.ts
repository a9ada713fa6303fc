/**
 * The parse tree of a Go template, mirroring text/template/parse's node kinds, and `nodeString`,
 * which prints a node the way Go's `Node.String()` does (used in `executing ... at <...>` errors).
 */
import { goQuote } from '../../go/strconv.js';
import type { NumberLiteral } from './strconv.js';

/** NodeKind numbers the node kinds (numeric so the executor can switch on them cheaply). */
export const NodeKind = {
  Text: 0,
  Action: 1,
  Bool: 2,
  Chain: 3,
  Command: 4,
  Dot: 5,
  Else: 6,
  End: 7,
  Field: 8,
  Identifier: 9,
  If: 10,
  List: 11,
  Nil: 12,
  Number: 13,
  Pipe: 14,
  Range: 15,
  String: 16,
  Template: 17,
  Variable: 18,
  With: 19,
  Break: 20,
  Continue: 21,
} as const;

/** ListNode is a sequence of nodes. */
export interface ListNode {
  readonly kind: typeof NodeKind.List;
  readonly pos: number;
  readonly nodes: Node[];
}

/** TextNode is plain text. */
export interface TextNode {
  readonly kind: typeof NodeKind.Text;
  readonly pos: number;
  readonly text: string;
}

/** PipeNode is a pipeline with optional variable declarations. */
export interface PipeNode {
  readonly kind: typeof NodeKind.Pipe;
  readonly pos: number;
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}

/** ActionNode is a non-control action such as `{{.Field}}`. */
export interface ActionNode {
  readonly kind: typeof NodeKind.Action;
  readonly pos: number;
  readonly line: number;
  readonly pipe: PipeNode;
}

/** CommandNode is one command of a pipeline: a function, field or constant with arguments. */
export interface CommandNode {
  readonly kind: typeof NodeKind.Command;
  readonly pos: number;
  readonly args: ArgNode[];
}

/** IdentifierNode names a function. */
export interface IdentifierNode {
  readonly kind: typeof NodeKind.Identifier;
  readonly pos: number;
  readonly ident: string;
}

/** VariableNode is `$x` possibly followed by fields (`$x.Key`). */
export interface VariableNode {
  readonly kind: typeof NodeKind.Variable;
  readonly pos: number;
  readonly ident: string[];
}

/** DotNode is `.`. */
export interface DotNode {
  readonly kind: typeof NodeKind.Dot;
  readonly pos: number;
}

/** NilNode is the untyped `nil`. */
export interface NilNode {
  readonly kind: typeof NodeKind.Nil;
  readonly pos: number;
}

/** FieldNode is `.a.b` (idents without dots). */
export interface FieldNode {
  readonly kind: typeof NodeKind.Field;
  readonly pos: number;
  readonly ident: string[];
}

/** ChainNode is a term followed by fields, e.g. `(datetime).Unix`. */
export interface ChainNode {
  readonly kind: typeof NodeKind.Chain;
  readonly pos: number;
  readonly node: ArgNode;
  readonly field: string[];
}

/** BoolNode is `true` or `false`. */
export interface BoolNode {
  readonly kind: typeof NodeKind.Bool;
  readonly pos: number;
  readonly value: boolean;
}

/** NumberNode is a number or character constant. */
export interface NumberNode extends NumberLiteral {
  readonly kind: typeof NodeKind.Number;
  readonly pos: number;
  readonly text: string;
}

/** StringNode is a string constant (`quoted` is the source form). */
export interface StringNode {
  readonly kind: typeof NodeKind.String;
  readonly pos: number;
  readonly quoted: string;
  readonly text: string;
}

/** BranchNode is `if`, `range` or `with`. */
export interface BranchNode {
  readonly kind: typeof NodeKind.If | typeof NodeKind.Range | typeof NodeKind.With;
  readonly pos: number;
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}

/** TemplateNode is `{{template "name" pipeline}}`. */
export interface TemplateNode {
  readonly kind: typeof NodeKind.Template;
  readonly pos: number;
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | undefined;
}

/** LoopControlNode is `{{break}}` or `{{continue}}`. */
export interface LoopControlNode {
  readonly kind: typeof NodeKind.Break | typeof NodeKind.Continue;
  readonly pos: number;
  readonly line: number;
}

/** MarkerNode is `{{else}}` or `{{end}}`, seen only by the parser. */
export interface MarkerNode {
  readonly kind: typeof NodeKind.Else | typeof NodeKind.End;
  readonly pos: number;
  readonly line: number;
}

/** ArgNode is anything that may appear as an argument of a command. */
export type ArgNode =
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

/** Node is any parse tree node. */
export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | CommandNode
  | BranchNode
  | TemplateNode
  | LoopControlNode
  | MarkerNode
  | ArgNode;

/** Tree is one named template (the file itself, or a `define`/`block`). */
export interface Tree {
  readonly name: string;
  readonly root: ListNode;
}

function pipeString(p: PipeNode): string {
  let s = '';
  if (p.decl.length > 0) {
    s = p.decl.map(nodeString).join(', ') + (p.isAssign ? ' = ' : ' := ');
  }
  return s + p.cmds.map(nodeString).join(' | ');
}

function branchString(n: BranchNode): string {
  const word = n.kind === NodeKind.If ? 'if' : n.kind === NodeKind.Range ? 'range' : 'with';
  let s = `{{${word} ${pipeString(n.pipe)}}}${nodeString(n.list)}`;
  if (n.elseList !== undefined) s += `{{else}}${nodeString(n.elseList)}`;
  return `${s}{{end}}`;
}

/** nodeString prints a node as Go's `String()` method does. */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case NodeKind.List:
      return n.nodes.map(nodeString).join('');
    case NodeKind.Text:
      return n.text;
    case NodeKind.Action:
      return `{{${pipeString(n.pipe)}}}`;
    case NodeKind.Pipe:
      return pipeString(n);
    case NodeKind.Command:
      return n.args
        .map((a) => (a.kind === NodeKind.Pipe ? `(${pipeString(a)})` : nodeString(a)))
        .join(' ');
    case NodeKind.Identifier:
      return n.ident;
    case NodeKind.Variable:
      return n.ident.join('.');
    case NodeKind.Dot:
      return '.';
    case NodeKind.Nil:
      return 'nil';
    case NodeKind.Field:
      return n.ident.map((f) => `.${f}`).join('');
    case NodeKind.Chain: {
      const head = n.node.kind === NodeKind.Pipe ? `(${pipeString(n.node)})` : nodeString(n.node);
      return head + n.field.map((f) => `.${f}`).join('');
    }
    case NodeKind.Bool:
      return n.value ? 'true' : 'false';
    case NodeKind.Number:
      return n.text;
    case NodeKind.String:
      return n.quoted;
    case NodeKind.If:
    case NodeKind.Range:
    case NodeKind.With:
      return branchString(n);
    case NodeKind.Template:
      return n.pipe === undefined
        ? `{{template ${goQuote(n.name)}}}`
        : `{{template ${goQuote(n.name)} ${pipeString(n.pipe)}}}`;
    case NodeKind.Break:
      return '{{break}}';
    case NodeKind.Continue:
      return '{{continue}}';
    case NodeKind.Else:
      return '{{else}}';
    case NodeKind.End:
      return '{{end}}';
  }
}
