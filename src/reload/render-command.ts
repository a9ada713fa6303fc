/** The tiny substitution of `{{.src}}`/`{{.dest}}` into check_cmd and reload_cmd. */

/** CommandVars are the values a command line may reference. */
export interface CommandVars {
  /** The stage file (confd's `{{.src}}` in check_cmd). */
  src: string;
  /** The target file (ours; upstream renders `<no value>`). */
  dest: string;
}

// `{{.src}}`, `{{ .dest }}`, and Go's trim markers `{{- .src -}}` (which eat adjacent whitespace).
const ACTION = /(\s*)\{\{(-\s)?\s*\.(src|dest)\s*(\s-)?\}\}(\s*)/g;

/**
 * renderCommand substitutes `{{.src}}` and `{{.dest}}` in a command line, the only template data
 * confd gives check_cmd. Anything else is left as written; values are inserted unquoted, as confd
 * does.
 */
export function renderCommand(cmd: string, vars: CommandVars): string {
  return cmd.replace(
    ACTION,
    (_m, before: string, trimLeft?: string, name?: string, trimRight?: string, after?: string) =>
      `${trimLeft ? '' : before}${vars[name as keyof CommandVars]}${trimRight ? '' : (after ?? '')}`,
  );
}
