/**
 * The lexer of Go's text/template (Go 1.19+ rules): text, `{{ }}` actions with `{{-`/`-}}` trim
 * markers, comments, and the tokens inside actions. Positions are UTF-16 indices into the source;
 * the error formatter converts them to Go's byte columns.
 */

import { formatRuneU, goQuote } from '../../go/strconv.js';

/** Tok lists the token kinds; kinds after `Keyword` are keywords (printed `<name>` in errors). */
export const Tok = {
  Error: 0,
  Bool: 1,
  Char: 2,
  CharConstant: 3,
  Complex: 4,
  Assign: 5,
  Declare: 6,
  EOF: 7,
  Field: 8,
  Identifier: 9,
  LeftDelim: 10,
  LeftParen: 11,
  Number: 12,
  Pipe: 13,
  RawString: 14,
  RightDelim: 15,
  RightParen: 16,
  Space: 17,
  String: 18,
  Text: 19,
  Variable: 20,
  Keyword: 21,
  Block: 22,
  Break: 23,
  Continue: 24,
  Dot: 25,
  Define: 26,
  Else: 27,
  End: 28,
  If: 29,
  Nil: 30,
  Range: 31,
  Template: 32,
  With: 33,
} as const;

/** TokType is one token kind. */
export type TokType = (typeof Tok)[keyof typeof Tok];

/** Token is one lexed item: kind, start index, text and the line it starts on. */
export interface Token {
  readonly type: TokType;
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const keywords: Readonly<Record<string, TokType>> = {
  '.': Tok.Dot,
  block: Tok.Block,
  break: Tok.Break,
  continue: Tok.Continue,
  define: Tok.Define,
  else: Tok.Else,
  end: Tok.End,
  if: Tok.If,
  range: Tok.Range,
  nil: Tok.Nil,
  template: Tok.Template,
  with: Tok.With,
};

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';

/** isSpace is Go's template space: space, tab, CR, LF. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** Unicode letters and digits; created on first use (a Unicode-property regex is slow to build). */
let letterOrDigit: RegExp | undefined;

/** isAlphaNumeric is Go's `_`, unicode.IsLetter or unicode.IsDigit. */
function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return (
      (code >= 0x30 && code <= 0x39) ||
      (code >= 0x41 && code <= 0x5a) ||
      (code >= 0x61 && code <= 0x7a) ||
      code === 0x5f
    );
  }
  letterOrDigit ??= /^[\p{L}\p{Nd}_]$/u;
  return letterOrDigit.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

/** lex tokenizes the whole source; the list ends with an EOF or an Error token. */
export function lex(input: string, breakOK = true, continueOK = true): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const countLines = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) if (input.charCodeAt(i) === 10) n++;
    return n;
  };
  const emit = (type: TokType): void => {
    tokens.push({ type, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countLines(start, pos);
    start = pos;
    startLine = line;
  };
  const fail = (message: string): false => {
    tokens.push({ type: Tok.Error, pos: start, val: message, line: startLine });
    return false;
  };
  /** next reads one code point, tracking newlines; returns undefined at EOF. */
  let width = 0;
  const next = (): string | undefined => {
    if (pos >= input.length) {
      width = 0;
      return undefined;
    }
    const cp = input.codePointAt(pos) ?? 0;
    const ch = cp > 0xffff ? String.fromCodePoint(cp) : input[pos];
    width = ch.length;
    pos += width;
    if (ch === '\n') line++;
    return ch;
  };
  const backup = (): void => {
    pos -= width;
    if (width === 1 && input[pos] === '\n') line--;
  };
  const peek = (): string | undefined => {
    const c = next();
    backup();
    return c;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) {
      return { delim: true, trim: true };
    }
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpace(r)) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return r === RIGHT[0];
  };
  const accept = (valid: string): boolean => {
    const c = next();
    if (c !== undefined && valid.includes(c)) return true;
    backup();
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = next();
      if (c === undefined || !valid.includes(c)) break;
    }
    backup();
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };

  /** Returns false when lexing stopped (EOF or error emitted). */
  const lexText = (): 'left' | false => {
    const x = input.indexOf(LEFT, pos);
    if (x >= 0) {
      pos = x;
      let trimLength = 0;
      if (hasLeftTrimMarker(input, pos + LEFT.length)) {
        let k = pos;
        while (k > start && isSpace(input[k - 1])) k--;
        trimLength = pos - k;
      }
      pos -= trimLength;
      if (pos > start) {
        line += countLines(start, pos);
        emit(Tok.Text);
      }
      pos += trimLength;
      ignore();
      return 'left';
    }
    pos = input.length;
    if (pos > start) {
      line += countLines(start, pos);
      emit(Tok.Text);
    }
    emit(Tok.EOF);
    return false;
  };

  const lexComment = (): boolean => {
    pos += LEFT_COMMENT.length;
    const i = input.indexOf(RIGHT_COMMENT, pos);
    if (i < 0) return fail('unclosed comment');
    pos = i + RIGHT_COMMENT.length;
    const { delim, trim } = atRightDelim();
    if (!delim) return fail('comment ends before closing delimiter');
    if (trim) pos += 2;
    pos += RIGHT.length;
    if (trim) while (isSpace(input[pos])) pos++;
    ignore();
    return true;
  };

  /** lexLeftDelim returns 'comment' | 'action'. */
  const lexLeftDelim = (): 'comment' | 'action' => {
    pos += LEFT.length;
    const trim = hasLeftTrimMarker(input, pos);
    const after = trim ? 2 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + after)) {
      pos += after;
      ignore();
      return 'comment';
    }
    emit(Tok.LeftDelim);
    pos += after;
    ignore();
    parenDepth = 0;
    return 'action';
  };

  const lexRightDelim = (): void => {
    const trim = hasRightTrimMarker(input, pos);
    if (trim) {
      pos += 2;
      ignore();
    }
    pos += RIGHT.length;
    emit(Tok.RightDelim);
    if (trim) {
      while (isSpace(input[pos])) pos++;
      ignore();
    }
  };

  const lexFieldOrVariable = (type: TokType): boolean => {
    if (atTerminator()) {
      emit(type === Tok.Variable ? Tok.Variable : Tok.Dot);
      return true;
    }
    let r: string | undefined;
    for (;;) {
      r = next();
      if (!isAlphaNumeric(r)) {
        backup();
        break;
      }
    }
    if (!atTerminator()) return fail(`bad character ${formatRuneU(r ?? '')}`);
    emit(type);
    return true;
  };

  const lexQuoted = (quote: '"' | "'"): boolean => {
    for (;;) {
      let c = next();
      if (c === '\\') {
        c = next();
        if (c !== undefined && c !== '\n') continue;
      }
      if (c === undefined || c === '\n') {
        return fail(
          quote === '"' ? 'unterminated quoted string' : 'unterminated character constant',
        );
      }
      if (c === quote) break;
    }
    emit(quote === '"' ? Tok.String : Tok.CharConstant);
    return true;
  };

  /** One step inside an action; returns 'text' after the right delimiter, false on error. */
  const lexInsideAction = (): 'text' | 'more' | false => {
    if (atRightDelim().delim) {
      if (parenDepth === 0) {
        lexRightDelim();
        return 'text';
      }
      return fail('unclosed left paren');
    }
    const r = next();
    if (r === undefined) return fail('unclosed action');
    if (isSpace(r)) {
      backup();
      // lexSpace: a run of spaces, minding a trim-marked right delimiter (" -}}").
      let numSpaces = 0;
      while (isSpace(peek())) {
        next();
        numSpaces++;
      }
      if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + 2)) {
        backup();
        if (numSpaces === 1) {
          lexRightDelim();
          return 'text';
        }
      }
      emit(Tok.Space);
      return 'more';
    }
    switch (r) {
      case '=':
        emit(Tok.Assign);
        return 'more';
      case ':':
        if (next() !== '=') return fail('expected :=');
        emit(Tok.Declare);
        return 'more';
      case '|':
        emit(Tok.Pipe);
        return 'more';
      case '"':
        return lexQuoted('"') && 'more';
      case "'":
        return lexQuoted("'") && 'more';
      case '`': {
        const end = input.indexOf('`', pos);
        if (end < 0) {
          pos = input.length;
          return fail('unterminated raw quoted string');
        }
        line += countLines(pos, end + 1);
        pos = end + 1;
        emit(Tok.RawString);
        return 'more';
      }
      case '$':
        if (atTerminator()) {
          emit(Tok.Variable);
          return 'more';
        }
        return lexFieldOrVariable(Tok.Variable) && 'more';
      case '(':
        emit(Tok.LeftParen);
        parenDepth++;
        return 'more';
      case ')':
        emit(Tok.RightParen);
        parenDepth--;
        if (parenDepth < 0) return fail(`unexpected right paren ${formatRuneU(r)}`);
        return 'more';
    }
    if (r === '.') {
      const c = input.charCodeAt(pos);
      if (pos < input.length && (c < 0x30 || c > 0x39)) {
        return lexFieldOrVariable(Tok.Field) && 'more';
      }
    }
    if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      backup();
      if (!scanNumber()) return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
      const sign = peek();
      if (sign === '+' || sign === '-') {
        if (!scanNumber() || input[pos - 1] !== 'i') {
          return fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
        }
        emit(Tok.Complex);
        return 'more';
      }
      emit(Tok.Number);
      return 'more';
    }
    if (isAlphaNumeric(r)) {
      backup();
      let c: string | undefined;
      for (;;) {
        c = next();
        if (!isAlphaNumeric(c)) break;
      }
      backup();
      const word = input.slice(start, pos);
      if (!atTerminator()) return fail(`bad character ${formatRuneU(c ?? '')}`);
      const kw = Object.hasOwn(keywords, word) ? keywords[word] : undefined;
      if (kw !== undefined && kw > Tok.Keyword) {
        if ((kw === Tok.Break && !breakOK) || (kw === Tok.Continue && !continueOK)) {
          emit(Tok.Identifier);
        } else {
          emit(kw);
        }
      } else if (word === 'true' || word === 'false') {
        emit(Tok.Bool);
      } else {
        emit(Tok.Identifier);
      }
      return 'more';
    }
    const code = r.codePointAt(0) ?? 0;
    if (code < 0x80 && code >= 0x20 && code < 0x7f) {
      emit(Tok.Char);
      return 'more';
    }
    return fail(`unrecognized character in action: ${formatRuneU(r)}`);
  };

  for (;;) {
    if (lexText() === false) return tokens;
    if (lexLeftDelim() === 'comment') {
      if (!lexComment()) return tokens;
      continue;
    }
    for (;;) {
      const step = lexInsideAction();
      if (step === false) return tokens;
      if (step === 'text') break;
    }
  }
}
