import type { LiveState, LiveView } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';

export type { LiveState, LiveView };

/** What knows the services (the local runner). */
export interface LiveProbe {
  liveState(app: ApplicationConfig, branch: string, url: string | null): Promise<{ state: LiveState; url: string | null } | undefined>;
}

interface DeploymentLike {
  status: string;
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
  constructor(private readonly o: { applications: { get(id: string): ApplicationConfig | undefined }; probe?: LiveProbe }) {}

  async of(d: DeploymentLike): Promise<LiveView | null> {
    const probe = this.o.probe;
    if (!probe || d.status !== 'success' || !d.branch_name) return null;
    const services: LiveView['services'] = [];
    await Promise.all(
      d.targets.map(async (t) => {
        const app = this.o.applications.get(t.application_id);
        if (!app || t.status !== 'success') return;
        const s = await probe.liveState(app, d.branch_name!, t.url).catch(() => undefined);
        if (s) services.push({ application_id: t.application_id, state: s.state, url: s.url });
      }),
    );
    if (!services.length) return null;
    services.sort((a, b) => d.targets.findIndex((t) => t.application_id === a.application_id) - d.targets.findIndex((t) => t.application_id === b.application_id));
    const state: LiveState = services.some((s) => s.state === 'stopped') ? 'stopped' : services.some((s) => s.state === 'starting') ? 'starting' : 'running';
    return { state, url: d.url, services };
  }

  /** `d` with its `live`. */
  async annotate<T extends DeploymentLike>(d: T): Promise<T & { live: LiveView | null }> {
    return { ...d, live: await this.of(d) };
  }
}
