import { createHash } from 'node:crypto';
import { moduleInputSchema, type GeneratedFile } from '@slipway/contracts';
import { z } from 'zod';
import type { PackContents } from './templates/index.ts';
import { MANIFEST_FILES, parseManifest } from './templates/pack-manifest.ts';
import { safeOutputPath, UnsafeOutputPathError } from './templates/output-path.ts';
import type { ModuleVersion } from './templates/render.ts';

/**
 * The generation manifest a publish commits beside a module's files, `.slipway/modules/<slug>.json`
 * on its branch (docs/modules.md): which pack (and version) rendered which module history, and the
 * sha256 of every file it generated. The next update reads it back from the branch to re-render the
 * previous files (the merge base) and to tell the files someone edited from the ones nobody touched.
 */
export const MANIFEST_DIR = '.slipway/modules';
export const MANIFEST_FORMAT = 1;
/** Bounds on what a branch's manifest may list (it is outside input: whoever can push there wrote it). */
const MAX_VERSIONS = 1000;
const MAX_FILES = 2000;

export function manifestPath(slug: string): string {
  return `${MANIFEST_DIR}/${slug}.json`;
}

/** One saved definition of the module: what a render takes (the last one is the module rendered). */
export type ManifestVersion = ModuleVersion;

export interface GenerationManifest {
  format: number;
  module: string;
  application: string;
  pack: { name: string; version: string; origin: string };
  versions: ManifestVersion[];
  /** Each generated file (not this manifest) and the sha256 of its content, sorted by path. */
  files: { path: string; sha256: string }[];
}

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  module: z.string(),
  application: z.string(),
  pack: z.object({ name: z.string(), version: z.string(), origin: z.string() }),
  // The definition as the parser reads an input: a definition stored by an older Slipway gets the defaults of today's.
  versions: z.array(z.object({ module: z.unknown(), savedAt: z.iso.datetime() })).min(1).max(MAX_VERSIONS),
  files: z.array(z.object({ path: z.string().min(1).max(1000), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).max(MAX_FILES),
});

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A pack's `version` (pack.yaml); `0` when it declares none. */
export function packVersionOf(pack: PackContents): string {
  const name = MANIFEST_FILES.find((f) => pack.files[f] !== undefined);
  try {
    return parseManifest(pack.files[name ?? ''] ?? '', pack.name).version ?? '0';
  } catch {
    return '0'; // the render reports a bad manifest
  }
}

export function buildManifest(o: { application: string; pack: { name: string; version: string; origin: string }; versions: readonly ManifestVersion[]; files: readonly GeneratedFile[] }): GenerationManifest {
  const last = o.versions.at(-1)!;
  return {
    format: MANIFEST_FORMAT,
    module: last.module.slug,
    application: o.application,
    pack: o.pack,
    // As the parser gives it back, so that reading the manifest gives the same bytes again.
    versions: o.versions.map((v) => ({ module: moduleInputSchema.parse(v.module), savedAt: v.savedAt })),
    files: o.files.map((f) => ({ path: f.path, sha256: sha256(f.content) })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

/** The manifest as committed: stable JSON (the same render gives the same bytes, so a retried publish commits nothing). */
export function serializeManifest(m: GenerationManifest): string {
  return `${JSON.stringify({ ...m, versions: m.versions.map((v) => ({ savedAt: v.savedAt.toISOString(), module: v.module })) }, null, 2)}\n`;
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Reads a manifest from a branch. Anyone who can push there wrote it: every part is checked; the definitions are parsed as inputs. */
export function parseManifestText(text: string, path: string): GenerationManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  const r = manifestSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ManifestError(`${path} is not a generation manifest: ${first?.path.join('.') || '(root)'}: ${first?.message}`);
  }
  for (const f of r.data.files) {
    try {
      if (safeOutputPath(f.path, path) !== f.path) throw new UnsafeOutputPathError(path, f.path, 'not in its normal form');
    } catch (err) {
      if (err instanceof UnsafeOutputPathError) throw new ManifestError(`${path} lists ${JSON.stringify(f.path)}, which is no file path in the repository`);
      throw err;
    }
  }
  const versions = r.data.versions.map((v, i) => {
    const m = moduleInputSchema.safeParse(v.module);
    if (!m.success) throw new ManifestError(`${path}: versions.${i}.module is not a module definition: ${m.error.issues[0]?.path.join('.')}: ${m.error.issues[0]?.message}`);
    return { module: m.data, savedAt: new Date(v.savedAt) };
  });
  return { ...r.data, versions };
}
