/**
 * The `goFormat` protocol: a library value (KVPair, GoFloat, GoTime, ...) implements a method
 * under this symbol that returns how Go's `%v` prints it. A symbol keeps it out of reach of
 * template field lookups.
 */

/** goFormat is the symbol-keyed method that gives Go's `%v` text of a library value. */
export const goFormat: unique symbol = Symbol.for('confd.goFormat');

/** GoFormattable is a value that knows how Go's `%v` prints it. */
export interface GoFormattable {
  [goFormat](): string;
}
