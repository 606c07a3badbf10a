import type { GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { Eta } from 'eta/core';
import { safeOutputPath } from './output-path.ts';
import { MANIFEST_FILES, PackError, parseManifest } from './pack-manifest.ts';
import { renderContext } from './render-context.ts';

/** A pack's files as text, keyed by path relative to the pack directory (`/`-separated). */
export interface PackContents {
  name: string;
  /** Where it came from, for errors and previews: `repository` or `built-in`. */
  origin: string;
  files: Readonly<Record<string, string>>;
  /**
   * How a pack that must not run in this process is rendered (packs from repositories: see
   * isolated-render.ts). renderForApplications renders only built-in packs in process.
   */
  renderer?: (pack: PackContents, module: ModuleDefinition, options: RenderOptions) => Promise<GeneratedFile[]>;
}

export interface RenderOptions {
  /** Stamps migration names. Pass the module's creation time so that regenerating gives the same files. */
  generatedAt: Date;
  /** Id of the application the files are for, shown to templates as `it.application`. */
  application?: string;
}

/** A template failed to compile or run; names the template. */
export class TemplateRenderError extends Error {
  constructor(
    readonly template: string,
    cause: unknown,
  ) {
    super(`template ${template} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TemplateRenderError';
  }
}

/**
 * A control tag alone on its line (`<% if (x) { %>`) outputs nothing, not even its line: without
 * this, every `if` and `for` in a code template leaves a blank or indented line behind.
 */
export function dropStatementLines(template: string): string {
  return template.replace(/^[ \t]*(<%[-_]?\s*(?![=~])(?:(?!%>)[\s\S])*?[-_]?%>)[ \t]*\r?\n/gm, '$1');
}

/** Renders every file of a pack for a module: pure, no I/O. Paths are checked before anything is returned. */
export function renderPack(pack: PackContents, module: ModuleDefinition, options: RenderOptions): GeneratedFile[] {
  const label = `${pack.name} (${pack.origin})`;
  const manifestName = MANIFEST_FILES.find((f) => pack.files[f] !== undefined);
  if (!manifestName) throw new PackError(label, `it has no manifest (${MANIFEST_FILES.join(', ')})`);
  const manifest = parseManifest(pack.files[manifestName] ?? '', label);

  const it = renderContext(module, { ...options, pack: { name: pack.name, origin: pack.origin } });
  const className = it.names.singular.pascal;
  if (manifest.reservedNames.some((n) => n.toLowerCase() === className.toLowerCase())) {
    throw new PackError(label, `cannot name a class ${className}: it is reserved in this stack; choose another module slug`);
  }

  const eta = new Eta({ autoEscape: false, autoTrim: false, useWith: false, cache: true, debug: true });
  const templates = Object.keys(pack.files).filter((f) => f.endsWith('.eta'));
  for (const t of templates) {
    try {
      eta.loadTemplate(`@${t}`, dropStatementLines(pack.files[t] ?? ''));
    } catch (e) {
      throw new TemplateRenderError(`${pack.name}/${t}`, e);
    }
  }

  const entries =
    manifest.files ??
    templates
      .filter((t) => !t.startsWith('partials/'))
      .sort()
      .map((t) => ({ template: t, path: t.slice(0, -'.eta'.length) }));

  const out: GeneratedFile[] = [];
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const where = `${pack.name}/${entry.template}`;
    if (pack.files[entry.template] === undefined) throw new PackError(label, `its manifest lists ${entry.template}, which is missing`);
    let rendered: string;
    let content: string;
    try {
      rendered = eta.renderString(entry.path, it);
      content = eta.render(`@${entry.template}`, it);
    } catch (e) {
      throw new TemplateRenderError(where, e);
    }
    const path = safeOutputPath(rendered, where);
    const previous = seen.get(path);
    if (previous) throw new PackError(label, `${previous} and ${entry.template} both write ${path}`);
    seen.set(path, entry.template);
    out.push({ path, content });
  }
  return out;
}
