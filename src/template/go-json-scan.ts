/**
 * A syntax checker that mirrors Go's `encoding/json` scanner, so that bad JSON given to `json` or
 * `jsonArray` fails with Go's exact texts: `invalid character 'x' after object key`,
 * `unexpected end of JSON input`, ... It only validates; decoding is left to `JSON.parse`,
 * which accepts the same grammar.
 */

/** MAX_DEPTH is Go's nesting limit for JSON values. */
const MAX_DEPTH = 10_000;

type Container = 'objectKey' | 'objectValue' | 'arrayValue';

/** goJsonSyntaxError returns Go's syntax error text for `data`, or undefined when it is valid. */
export function goJsonSyntaxError(data: string): string | undefined {
  const stack: Container[] = [];
  const chars = Array.from(data);
  type Step = (c: string) => Step | string;
  const fail = (c: string, context: string): string =>
    `invalid character ${quoteChar(c)} ${context}`;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  const isDigit = (c: string) => c >= '0' && c <= '9';
  const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);

  const push = (container: Container): string | undefined => {
    stack.push(container);
    return stack.length > MAX_DEPTH ? 'exceeded max depth' : undefined;
  };

  const endTop: Step = (c) => (isSpace(c) ? endTop : fail(c, 'after top-level value'));
  const endValue: Step = (c) => {
    const top = stack[stack.length - 1];
    if (top === undefined) return endTop(c);
    if (isSpace(c)) return endValue;
    switch (top) {
      case 'objectKey':
        if (c === ':') {
          stack[stack.length - 1] = 'objectValue';
          return beginValue;
        }
        return fail(c, 'after object key');
      case 'objectValue':
        if (c === ',') {
          stack[stack.length - 1] = 'objectKey';
          return beginString;
        }
        if (c === '}') {
          stack.pop();
          return endValue;
        }
        return fail(c, 'after object key:value pair');
      case 'arrayValue':
        if (c === ',') return beginValue;
        if (c === ']') {
          stack.pop();
          return endValue;
        }
        return fail(c, 'after array element');
    }
  };
  const literal = (word: string, index: number): Step => {
    return (c) => {
      if (c !== word[index])
        return fail(c, `in literal ${word} (expecting ${quoteChar(word[index])})`);
      return index + 1 === word.length ? endValue : literal(word, index + 1);
    };
  };
  const inStringEscU =
    (left: number): Step =>
    (c) => {
      if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
      return left === 1 ? inString : inStringEscU(left - 1);
    };
  const inStringEsc: Step = (c) => {
    if ('bfnrt\\/"'.includes(c)) return inString;
    if (c === 'u') return inStringEscU(4);
    return fail(c, 'in string escape code');
  };
  const inString: Step = (c) => {
    if (c === '"') return endValue;
    if (c === '\\') return inStringEsc;
    if (c < ' ') return fail(c, 'in string literal');
    return inString;
  };
  const e0: Step = (c) => (isDigit(c) ? e0 : endValue(c));
  const eSign: Step = (c) => (isDigit(c) ? e0 : fail(c, 'in exponent of numeric literal'));
  const e: Step = (c) => (c === '+' || c === '-' ? eSign : eSign(c));
  const dot0: Step = (c) => (isDigit(c) ? dot0 : c === 'e' || c === 'E' ? e : endValue(c));
  const dot: Step = (c) => (isDigit(c) ? dot0 : fail(c, 'after decimal point in numeric literal'));
  const zero: Step = (c) => (c === '.' ? dot : c === 'e' || c === 'E' ? e : endValue(c));
  const one: Step = (c) => (isDigit(c) ? one : zero(c));
  const neg: Step = (c) => {
    if (c === '0') return zero;
    if (c >= '1' && c <= '9') return one;
    return fail(c, 'in numeric literal');
  };
  const beginValue: Step = (c) => {
    if (isSpace(c)) return beginValue;
    switch (c) {
      case '{':
        return push('objectKey') ?? beginStringOrEmpty;
      case '[':
        return push('arrayValue') ?? beginValueOrEmpty;
      case '"':
        return inString;
      case '-':
        return neg;
      case '0':
        return zero;
      case 't':
        return literal('true', 1);
      case 'f':
        return literal('false', 1);
      case 'n':
        return literal('null', 1);
      default:
        if (c >= '1' && c <= '9') return one;
        return fail(c, 'looking for beginning of value');
    }
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginValueOrEmpty;
    if (c === ']') {
      stack.pop();
      return endValue;
    }
    return beginValue(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return beginString;
    if (c === '"') return inString;
    return fail(c, 'looking for beginning of object key string');
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginStringOrEmpty;
    if (c === '}') {
      stack.pop();
      return endValue;
    }
    return beginString(c);
  };

  let step: Step = beginValue;
  for (const c of chars) {
    const next = step(c);
    if (typeof next === 'string') return next;
    step = next;
  }
  // At the end, a value must be complete: Go feeds a space and checks it reached the top level.
  if (step === endTop) return undefined;
  const last = step(' ');
  if (typeof last !== 'string' && last === endTop) return undefined;
  return 'unexpected end of JSON input';
}

/** quoteChar is Go's json quoteChar: `'x'`, with `'\''` and `'"'` special-cased. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  const quoted = JSON.stringify(c).slice(1, -1);
  return `'${quoted.replace(/\\u00([0-9a-f]{2})/g, '\\x$1')}'`;
}
