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

/**
 * tabwrite lays out tab-separated text as Go's `text/tabwriter` does with a space pad character
 * and no flags: a column block is a run of consecutive lines that have a tab-terminated cell in
 * that column, and every cell of a block is padded to the block's widest cell plus `padding`.
 * The text after a line's last tab is not part of any column.
 */
export function tabwrite(text: string, { minWidth, padding }: TabwriterOptions): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const out: string[] = lines.map(() => '');
  const width = (s: string): number => [...s].length;

  // format handles lines [line0, line1) for `column`, given widths of columns to its left.
  const format = (line0: number, line1: number, column: number): void => {
    let row = line0;
    while (row < line1) {
      if (column >= lines[row].length - 1) {
        row++;
        continue;
      }
      const start = row;
      let cellWidth = minWidth;
      while (row < line1 && column < lines[row].length - 1) {
        cellWidth = Math.max(cellWidth, width(lines[row][column]) + padding);
        row++;
      }
      for (let r = start; r < row; r++) {
        const cell = lines[r][column];
        out[r] += cell + ' '.repeat(cellWidth - width(cell));
      }
      format(start, row, column + 1);
    }
  };
  format(0, lines.length, 0);
  // Append each line's trailing text (the part after its last tab).
  return lines.map((cells, r) => out[r] + cells[cells.length - 1]).join('\n');
}

/** valueText renders value bytes as Go's `%s` of a []byte does (empty for a nil value). */
export function valueText(value: Buffer | null, base64: boolean): string {
  if (value === null) return '';
  return base64 ? value.toString('base64') : value.toString('utf8');
}

/**
 * formatDetailed renders one entry as `consul kv get -detailed` does: sorted field names padded
 * by a tabwriter (minwidth 0, padding 6), `Session` shown as `-` when unlocked, no final newline.
 * With `keysOnly` (`-keys -recurse -detailed`) the Value line is left out and, as in Consul, the
 * text then ends with the Session line's newline.
 */
export function formatDetailed(pair: KvPair, base64: boolean, keysOnly = false): string {
  const lines = [
    `CreateIndex\t${pair.createIndex}`,
    `Flags\t${pair.flags}`,
    `Key\t${pair.key}`,
    `LockIndex\t${pair.lockIndex}`,
    `ModifyIndex\t${pair.modifyIndex}`,
    `Session\t${pair.session === '' ? '-' : pair.session}`,
  ];
  lines.push(keysOnly ? '' : `Value\t${valueText(pair.value, base64)}`);
  return tabwrite(lines.join('\n'), { minWidth: 0, padding: 6 });
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
