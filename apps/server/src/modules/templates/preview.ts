import type { ApplicationFiles, ModuleDefinition } from '@slipway/contracts';
import { renderPack, type PackContents } from './render.ts';

/**
 * Every file for every target application, written nowhere: what a preview (dry run) shows and what
 * a generation commits. Loading is passed in, so the caller chooses where packs come from.
 */
export async function renderForApplications(
  module: ModuleDefinition,
  applications: readonly { id: string; pack: string }[],
  loadPackFor: (application: { id: string; pack: string }) => Promise<PackContents>,
  generatedAt: Date,
): Promise<ApplicationFiles[]> {
  const out: ApplicationFiles[] = [];
  for (const app of applications) {
    const pack = await loadPackFor(app);
    out.push({ application: app.id, pack: pack.name, files: renderPack(pack, module, { generatedAt, application: app.id }) });
  }
  return out;
}
