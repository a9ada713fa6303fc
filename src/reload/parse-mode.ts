/** Parsing of a template resource's `mode` setting. */
import { ConfdError, ErrorCode } from '../errors.js';

const MAX_MODE = 0o7777;

function invalid(text: string, why: string): ConfdError {
  return new ConfdError(
    ErrorCode.RESOURCE_INVALID,
    `invalid mode ${JSON.stringify(text)}: ${why} (write octal permissions such as "0644")`,
  );
}

/**
 * parseMode turns a resource's `mode` into permission bits. `"0644"`, `"644"`, `"0o644"` are
 * octal, `"0x1a4"` hex and `"0b110100100"` binary; a number is taken as is. The result includes
 * the setuid, setgid and sticky bits (at most 07777). Throws a RESOURCE_INVALID ConfdError
 * naming the bad value.
 */
export function parseMode(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_MODE) {
      throw invalid(String(value), 'must be an integer from 0 to 07777');
    }
    return value;
  }
  const text = value.trim();
  if (text === '') throw invalid(value, 'it is empty');
  let digits: string;
  let radix: number;
  if (/^0[oO]/.test(text)) {
    [digits, radix] = [text.slice(2), 8];
  } else if (/^0[xX]/.test(text)) {
    [digits, radix] = [text.slice(2), 16];
  } else if (/^0[bB]/.test(text)) {
    [digits, radix] = [text.slice(2), 2];
  } else {
    // confd quirk fixed: upstream parses "644" as DECIMAL 644 (= 0o1204, giving mode 0204) via
    // strconv.ParseUint(mode, 0, 32); a permission written without its leading 0 is octal here.
    [digits, radix] = [text, 8];
  }
  const allowed = { 2: /^[01]+$/, 8: /^[0-7]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 16];
  if (!allowed.test(digits)) throw invalid(value, 'not a number in that base');
  const mode = Number.parseInt(digits, radix);
  if (mode > MAX_MODE) throw invalid(value, 'larger than 07777');
  return mode;
}

/** formatOctalMode renders permission bits as confd users write them, e.g. `0644`. */
export function formatOctalMode(mode: number): string {
  return `0${(mode & MAX_MODE).toString(8).padStart(3, '0')}`;
}
