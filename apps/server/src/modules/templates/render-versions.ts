import type { ApplicationFiles } from '@slipway/contracts';
import { renderForApplications } from './preview.ts';
import type { ModuleVersion, PackContents } from './render.ts';

export type { ModuleVersion } from './render.ts';

/**
 * Every file of every target application for a module's saved history (oldest first, the last
 * being the version to publish): the ordinary files from the last version, and, for each pack
 * that declares migrations, the create migration of the first version (its name and content fixed
 * by that version: it never changes once pushed) and one alter migration per later version whose
 * fields changed (migration-plan.ts). Pure given the packs: the same history gives the same bytes.
 */
export async function renderVersions(
  versions: readonly ModuleVersion[],
  applications: readonly { id: string; pack: string }[],
  loadPackFor: (application: { id: string; pack: string }) => Promise<PackContents>,
): Promise<ApplicationFiles[]> {
  const first = versions[0];
  const last = versions.at(-1);
  if (!first || !last) throw new Error('renderVersions needs at least one version');
  return renderForApplications(last.module, applications, loadPackFor, first.savedAt, versions);
}
