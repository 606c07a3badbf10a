import type { LiveState, LiveView } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';

export type { LiveState, LiveView };

/** What knows the services (the local runner). */
export interface LiveProbe {
  liveState(app: ApplicationConfig, branch: string, url: string | null): Promise<{ state: LiveState; url: string | null } | undefined>;
}

interface DeploymentLike {
  status: string;
  module_slug?: string | null;
  branch_name: string | null;
  url: string | null;
  targets: readonly { application_id: string; status: string; url: string | null }[];
}

/**
 * Adds `live` to a deployment as the API answers it: for a successful deployment whose
 * applications Slipway runs as services (the local runner's `deploy.start`), whether they answer
 * now (a health probe of each); null otherwise (not successful, or deployed by CI elsewhere: Slipway
 * cannot say, and the link stays as it was).
 */
export class LiveServices {
  constructor(
    private readonly o: {
      applications: { get(id: string): ApplicationConfig | undefined };
      probe?: LiveProbe;
      /**
       * The module's preview path of a service URL (`/preview/<slug>/<app>/…`, docs/previews.md), or
       * null: the links then point there, under Slipway's origin, instead of the loopback port.
       */
      previewUrl?: (slug: string, applicationId: string, url: string | null) => Promise<string | null>;
    },
  ) {}

  async of(d: DeploymentLike): Promise<LiveView | null> {
    const probe = this.o.probe;
    if (!probe || d.status !== 'success' || !d.branch_name) return null;
    const services: LiveView['services'] = [];
    await Promise.all(
      d.targets.map(async (t) => {
        const app = this.o.applications.get(t.application_id);
        if (!app || t.status !== 'success') return;
        const s = await probe.liveState(app, d.branch_name!, t.url).catch(() => undefined);
        const preview = s && d.module_slug && this.o.previewUrl ? await this.o.previewUrl(d.module_slug, t.application_id, s.url).catch(() => null) : null;
        if (s) services.push({ application_id: t.application_id, state: s.state, url: preview ?? s.url });
      }),
    );
    if (!services.length) return null;
    services.sort((a, b) => d.targets.findIndex((t) => t.application_id === a.application_id) - d.targets.findIndex((t) => t.application_id === b.application_id));
    const state: LiveState = services.some((s) => s.state === 'stopped') ? 'stopped' : services.some((s) => s.state === 'starting') ? 'starting' : 'running';
    // The deployment's own link: its first target's preview when it has one (d.url is that target's URL).
    const first = d.targets.find((t) => t.url === d.url);
    const url = (first && services.find((s) => s.application_id === first.application_id && s.url?.startsWith('/preview/'))?.url) ?? d.url;
    return { state, url, services };
  }

  /** `d` with its `live`. */
  async annotate<T extends DeploymentLike>(d: T): Promise<T & { live: LiveView | null }> {
    return { ...d, live: await this.of(d) };
  }
}
