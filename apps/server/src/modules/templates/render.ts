import type { GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { Eta } from 'eta/core';
import { safeOutputPath } from './output-path.ts';
import { MANIFEST_FILES, PackError, parseManifest } from './pack-manifest.ts';
import { renderContext } from './render-context.ts';
import { migrationPlan } from './migration-plan.ts';

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

/** One saved version of a module's definition (the `module_versions` table), oldest first in a history. */
export interface ModuleVersion {
  module: ModuleDefinition;
  savedAt: Date;
}

export interface RenderOptions {
  /** Stamps migration names. Pass the module's creation time so that regenerating gives the same files. */
  generatedAt: Date;
  /** Id of the application the files are for, shown to templates as `it.application`. */
  application?: string;
  /**
   * The module's saved versions, oldest first, the last one being the module rendered. When given,
   * `generatedAt` is the first one's `savedAt`, and a pack that declares migrations renders its
   * create migration from the first version and an alter migration per later change
   * (render-versions.ts). Absent: the module is its own only version, saved at `generatedAt`.
   */
  versions?: readonly ModuleVersion[];
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

/** Whether the pack renders migrations from the module's history (a `migrations` manifest section). */
export function packDeclaresMigrations(pack: PackContents): boolean {
  const manifestName = MANIFEST_FILES.find((f) => pack.files[f] !== undefined);
  return manifestName !== undefined && parseManifest(pack.files[manifestName] ?? '', `${pack.name} (${pack.origin})`).migrations !== undefined;
}

/** Renders every file of a pack for a module: pure, no I/O. Paths are checked before anything is returned. */
export function renderPack(pack: PackContents, module: ModuleDefinition, options: RenderOptions): GeneratedFile[] {
  const versions = options.versions?.length ? options.versions : [{ module, savedAt: options.generatedAt }];
  return renderPackVersions(pack, versions, options.application);
}

/**
 * Every file of a pack for a module's history (oldest first): the ordinary files from the last
 * version; with a `migrations` manifest section, the create migration from the first version and
 * an alter migration per later version whose fields changed (migrationPlan). Pure, deterministic.
 */
export function renderPackVersions(pack: PackContents, versions: readonly ModuleVersion[], application?: string): GeneratedFile[] {
  const label = `${pack.name} (${pack.origin})`;
  const first = versions[0];
  const last = versions.at(-1);
  if (!first || !last) throw new PackError(label, 'there is no module version to render');
  const manifestName = MANIFEST_FILES.find((f) => pack.files[f] !== undefined);
  if (!manifestName) throw new PackError(label, `it has no manifest (${MANIFEST_FILES.join(', ')})`);
  const manifest = parseManifest(pack.files[manifestName] ?? '', label);

  const packInfo = { name: pack.name, origin: pack.origin };
  const it = renderContext(last.module, { generatedAt: first.savedAt, application, pack: packInfo });
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

  const migrations = manifest.migrations;
  const migrationTemplates = new Set(migrations ? [migrations.create.template, migrations.alter.template] : []);
  const entries =
    manifest.files ??
    templates
      .filter((t) => !t.startsWith('partials/') && !migrationTemplates.has(t))
      .sort()
      .map((t) => ({ template: t, path: t.slice(0, -'.eta'.length) }));

  const jobs: { template: string; path: string; it: object }[] = entries.map((e) => ({ ...e, it }));
  if (migrations) {
    for (const step of migrationPlan(versions, application, packInfo)) {
      jobs.push({ ...(step.kind === 'create' ? migrations.create : migrations.alter), it: step.it });
    }
  }

  const out: GeneratedFile[] = [];
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const where = `${pack.name}/${job.template}`;
    if (pack.files[job.template] === undefined) throw new PackError(label, `its manifest lists ${job.template}, which is missing`);
    let rendered: string;
    let content: string;
    try {
      rendered = eta.renderString(job.path, job.it);
      content = eta.render(`@${job.template}`, job.it);
    } catch (e) {
      throw new TemplateRenderError(where, e);
    }
    const path = safeOutputPath(rendered, where);
    const previous = seen.get(path);
    if (previous) throw new PackError(label, `${previous} and ${job.template} both write ${path}`);
    seen.set(path, job.template);
    out.push({ path, content });
  }
  return out;
}
