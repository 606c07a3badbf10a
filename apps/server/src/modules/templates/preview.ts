import type { ApplicationFiles, ModuleDefinition } from '@slipway/contracts';
import { PackError } from './pack-manifest.ts';
import { renderPack, type ModuleVersion, type PackContents } from './render.ts';

/**
 * Every file for every target application, written nowhere: what a preview (dry run) shows and what
 * a generation commits. Loading is passed in, so the caller chooses where packs come from. Only
 * built-in packs run in this process; any other pack renders through its own isolated renderer.
 */
export async function renderForApplications(
  module: ModuleDefinition,
  applications: readonly { id: string; pack: string }[],
  loadPackFor: (application: { id: string; pack: string }) => Promise<PackContents>,
  generatedAt: Date,
  /** The module's saved versions, oldest first (RenderOptions.versions); render-versions.ts passes them. */
  versions?: readonly ModuleVersion[],
): Promise<ApplicationFiles[]> {
  const out: ApplicationFiles[] = [];
  for (const app of applications) {
    const pack = await loadPackFor(app);
    const options = { generatedAt, application: app.id, ...(versions ? { versions } : {}) };
    let files;
    if (pack.origin === 'built-in') files = renderPack(pack, module, options);
    else if (pack.renderer) files = await pack.renderer(pack, module, options);
    else throw new PackError(`${pack.name} (${pack.origin})`, 'it is not a built-in pack, and no isolated renderer is configured for it');
    out.push({ application: app.id, pack: pack.name, files });
  }
  return out;
}
