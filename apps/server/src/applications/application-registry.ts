import type { ApplicationView } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';

/** Which template pack an application uses when its configuration names none. */
export function defaultPackFor(appId: string): string {
  if (appId === 'frontend' || appId.endsWith('-web') || appId.startsWith('web')) return 'angular';
  return 'typescript-api';
}

/** Defined in the contracts, so the web app reads exactly what `view()` builds. */
export type { ApplicationView } from '@slipway/contracts';

/**
 * The deploy targets Slipway knows: from the applications file, plus any registered at start
 * (the embedded demo apps). Later registrations of an id replace earlier ones.
 */
export class ApplicationRegistry {
  private readonly apps = new Map<string, ApplicationConfig>();

  constructor(initial: readonly ApplicationConfig[] = []) {
    for (const a of initial) this.apps.set(a.id, a);
  }

  add(app: ApplicationConfig): void {
    this.apps.set(app.id, app);
  }

  get(id: string): ApplicationConfig | undefined {
    return this.apps.get(id);
  }

  list(): ApplicationConfig[] {
    return [...this.apps.values()];
  }

  packOf(app: ApplicationConfig): string {
    return app.templatePack ?? defaultPackFor(app.id);
  }

  view(app: ApplicationConfig): ApplicationView {
    return { id: app.id, name: app.name ?? app.id, base_branch: app.baseBranch, template_pack: this.packOf(app), git: Boolean(app.repoUrl) };
  }
}
