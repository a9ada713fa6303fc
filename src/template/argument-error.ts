/**
 * TemplateArgumentError: an argument that Go's text/template rejects before calling a function or
 * method (wrong count or type). Its message is Go's text without the `error calling <fn>:`
 * prefix, e.g. `wrong type for value; expected int; got string`.
 */

/** TemplateArgumentError is an argument Go's text/template rejects before the call. */
export class TemplateArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateArgumentError';
  }
}
