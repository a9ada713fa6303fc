/**
 * Output formats of the `consul kv` commands: Go's `text/tabwriter` column layout (for
 * `-detailed`), and Go's `json.MarshalIndent` with a tab indent (for `export`).
 */
import { goJsonIndent } from '../go/json.js';
import type { KvPair } from './consul-http.js';

/** TabwriterOptions are Go's `tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', 0)`. */
export interface TabwriterOptions {
  readonly minWidth: number;
  readonly padding: number;
}

interface Cell {
  /** The cell's bytes are input[start, end). */
  readonly start: number;
  readonly end: number;
  /** Display width in runes, escape characters excluded. */
  readonly width: number;
}

const ESCAPE = 0xff;

/** utf8Length is the length of a valid UTF-8 sequence at input[i], or 0 (Go's decoding rules). */
function utf8Length(input: Uint8Array, i: number): number {
  const b0 = input[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = input[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const [lo, hi] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const [lo, hi] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** runeCount is Go's `utf8.RuneCount` of input[start, end): an invalid byte counts as one. */
function runeCount(input: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; n++) {
    i += input[i] < 0x80 ? 1 : Math.max(1, Math.min(utf8Length(input, i), end - i));
  }
  return n;
}

/**
 * tabwriteBytes lays out bytes as Go's `text/tabwriter` does with a space pad character and no
 * flags. Cells end at `\t` or `\v`, lines at `\n` or `\f` (written as `\n`; `\f` also ends
 * the column block, as does a line without tabs); a column block is a run of consecutive lines
 * with a terminated cell in that column, padded to its widest cell plus `padding`; the text after
 * a line's last tab is in no column. Text between two 0xff bytes is taken as is (tabs and
 * newlines included) and the 0xff bytes do not count in its width. Widths count UTF-8 runes,
 * an invalid byte as one, so any bytes (binary values) pass through unchanged.
 */
export function tabwriteBytes(input: Uint8Array, { minWidth, padding }: TabwriterOptions): Buffer {
  const out: Uint8Array[] = [];
  const newline = Buffer.from('\n');
  let lines: Cell[][] = [[]];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      lines[i].forEach((c, j) => {
        if (c.end > c.start) out.push(input.subarray(c.start, c.end));
        if (j < widths.length) out.push(Buffer.alloc(Math.max(0, widths[j] - c.width), 0x20));
      });
      if (i + 1 < lines.length) out.push(newline);
    }
  };

  // format writes lines [line0, line1): a column block is formatted, then (one level deeper) the
  // columns right of it within the block, as Go's recursive format(); an explicit stack of
  // frames keeps a value with many thousands of tabs from exhausting the call stack. Invariant:
  // widths.length === stack.length - 1 (the frame's column).
  const format = (line0: number, line1: number): void => {
    const stack = [{ line0, line1, row: line0 }];
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      const column = stack.length - 1;
      if (f.row >= f.line1) {
        writeLines(f.line0, f.line1);
        stack.pop();
        if (stack.length > 0) {
          widths.pop();
          const parent = stack[stack.length - 1];
          parent.line0 = parent.row;
        }
        continue;
      }
      if (column >= lines[f.row].length - 1) {
        f.row++;
        continue;
      }
      writeLines(f.line0, f.row);
      const start = f.row;
      let width = minWidth;
      let end = start;
      for (; end < f.line1 && column < lines[end].length - 1; end++) {
        width = Math.max(width, lines[end][column].width + padding);
      }
      widths.push(width);
      f.line0 = start;
      f.row = end;
      stack.push({ line0: start, line1: end, row: start });
    }
  };

  const flush = (): void => {
    format(0, lines.length);
    lines = [[]];
  };

  let cellStart = 0;
  let segmentStart = 0;
  let width = 0;
  let escaped = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (escaped) {
      if (ch === ESCAPE) {
        width += runeCount(input, segmentStart, i + 1) - 2;
        segmentStart = i + 1;
        escaped = false;
      }
      continue;
    }
    if (ch === ESCAPE) {
      width += runeCount(input, segmentStart, i);
      segmentStart = i;
      escaped = true;
    } else if (ch === 0x09 || ch === 0x0b || ch === 0x0a || ch === 0x0c) {
      width += runeCount(input, segmentStart, i);
      const line = lines[lines.length - 1];
      line.push({ start: cellStart, end: i, width });
      cellStart = segmentStart = i + 1;
      width = 0;
      if (ch === 0x0a || ch === 0x0c) {
        lines.push([]);
        if (ch === 0x0c || line.length === 1) flush();
      }
    }
  }
  if (cellStart < input.length) {
    // The last cell ends no column, so its width does not matter.
    lines[lines.length - 1].push({ start: cellStart, end: input.length, width: 0 });
  }
  flush();
  return Buffer.concat(out);
}

/** tabwrite is {@link tabwriteBytes} for text. */
export function tabwrite(text: string, options: TabwriterOptions): string {
  return tabwriteBytes(Buffer.from(text, 'utf8'), options).toString('utf8');
}

/** valueBytes renders value bytes as Go's `%s` of a []byte does (empty for a nil value). */
export function valueBytes(value: Buffer | null, base64: boolean): Buffer {
  if (value === null) return Buffer.alloc(0);
  return base64 ? Buffer.from(value.toString('base64')) : value;
}

/**
 * formatDetailed renders one entry as `consul kv get -detailed` does: sorted field names padded
 * by a tabwriter (minwidth 0, padding 6), `Session` shown as `-` when unlocked, no final newline.
 * With `keysOnly` (`-keys -recurse -detailed`) the Value line is left out and, as in Consul, the
 * text then ends with the Session line's newline. The value's bytes pass through unchanged.
 */
export function formatDetailed(pair: KvPair, base64: boolean, keysOnly = false): Buffer {
  const head = [
    `CreateIndex\t${pair.createIndex}`,
    `Flags\t${pair.flags}`,
    `Key\t${pair.key}`,
    `LockIndex\t${pair.lockIndex}`,
    `ModifyIndex\t${pair.modifyIndex}`,
    `Session\t${pair.session === '' ? '-' : pair.session}`,
    keysOnly ? '' : 'Value\t',
  ].join('\n');
  const text = Buffer.from(head, 'utf8');
  const bytes = keysOnly ? text : Buffer.concat([text, valueBytes(pair.value, base64)]);
  return tabwriteBytes(bytes, { minWidth: 0, padding: 6 });
}

/** ExportEntry is one element of `consul kv export` output. */
export interface ExportEntry {
  readonly key: string;
  readonly flags: bigint;
  /** Base64 of the value bytes ("" for an empty value). */
  readonly value: string;
}

/** toExportEntry converts a KV pair into its export form. */
export function toExportEntry(pair: KvPair): ExportEntry {
  return { key: pair.key, flags: pair.flags, value: pair.value?.toString('base64') ?? '' };
}

/** formatExport renders entries as `json.MarshalIndent(entries, "", "\t")` does. */
export function formatExport(entries: readonly ExportEntry[]): string {
  return goJsonIndent(
    entries.map((e) => ({ key: e.key, flags: e.flags, value: e.value })),
    '\t',
  );
}
