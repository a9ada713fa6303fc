/**
 * The engine registry: which engine renders a template (`engineFor`) and the engines by name.
 * Templates named `*.hbs` or `*.handlebars` use handlebars; everything else uses Go
 * text/template, as confd does. A resource may force an engine with an override.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import { goTemplateEngine } from './go/index.js';
import { createHandlebarsEngine, type HandlebarsEngineOptions } from './handlebars.js';
import type { TemplateEngine, TemplateEngineName } from './types.js';

/** TEMPLATE_ENGINE_NAMES lists the engine names a resource may choose. */
export const TEMPLATE_ENGINE_NAMES: readonly TemplateEngineName[] = ['go', 'handlebars'];

/** engineFor is the engine a template source path uses: handlebars for `.hbs`/`.handlebars`. */
export function engineFor(src: string, override?: TemplateEngineName): TemplateEngineName {
  if (override !== undefined) return override;
  return /\.(hbs|handlebars)$/i.test(src) ? 'handlebars' : 'go';
}

/** isTemplateEngineName tells whether a string (e.g. from a resource TOML) names an engine. */
export function isTemplateEngineName(value: unknown): value is TemplateEngineName {
  return value === 'go' || value === 'handlebars';
}

/** EngineRegistry gives the daemon an engine by name or by template path. */
export interface EngineRegistry {
  /** get is the engine of that name; throws CFD_ERR_TEMPLATE_PARSE if none is registered. */
  get(name: TemplateEngineName): TemplateEngine;
  /** forTemplate is the engine for a template source path (see {@link engineFor}). */
  forTemplate(src: string, override?: TemplateEngineName): TemplateEngine;
}

/** createEngineRegistry builds a registry over the given engines. */
export function createEngineRegistry(
  engines: Partial<Record<TemplateEngineName, TemplateEngine>>,
): EngineRegistry {
  const get = (name: TemplateEngineName): TemplateEngine => {
    const engine = engines[name];
    if (engine === undefined) {
      throw new ConfdError(ErrorCode.TEMPLATE_PARSE, `no template engine named "${name}"`);
    }
    return engine;
  };
  return { get, forTemplate: (src, override) => get(engineFor(src, override)) };
}

/** DefaultEnginesOptions configures {@link createDefaultEngines}. */
export type DefaultEnginesOptions = HandlebarsEngineOptions;

/**
 * createDefaultEngines is the registry the daemon uses: Go text/template (`goTemplateEngine` from
 * `./go/index.js`) and handlebars, each with confd's function library.
 */
export function createDefaultEngines(options: DefaultEnginesOptions = {}): EngineRegistry {
  return createEngineRegistry({
    go: goTemplateEngine,
    handlebars: createHandlebarsEngine(options),
  });
}
