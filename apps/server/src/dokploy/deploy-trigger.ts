import { DokployApiError, type DokployClient } from './dokploy.client.ts';
import type { PushedCommit } from './dokploy-answers.ts';

export interface DeployCall {
  webhookUrl: string;
  branch: string;
  commit: PushedCommit;
  /**
   * The Dokploy application behind `webhookUrl`, when its API may deploy it instead: only where that
   * application deploys this very branch (the base branch's webhook), since `application.deploy`
   * builds the application's own branch.
   */
  fallbackApplicationId?: string;
}

export interface DeployTriggered {
  ok: boolean;
  /** Dokploy's own words, for the target's message. */
  message: string;
  /** What was done, for the run's log. */
  lines: string[];
}

/**
 * Asks Dokploy to deploy a commit: its deploy webhook, and — when Dokploy refuses the webhook
 * (400: auto-deploy is off) and the client has an API key — `application.deploy` instead. A 301
 * (branch, watch paths or image do not match) is Dokploy's decision about this commit: it is
 * reported with Dokploy's reason, never overridden.
 */
export async function triggerDeploy(client: DokployClient, call: DeployCall): Promise<DeployTriggered> {
  const outcome = await client.triggerWebhook(call.webhookUrl, { branch: call.branch, gitSourced: true, commit: call.commit });
  const lines = [`${outcome.kind === 'queued' ? '✓' : '✗'} Dokploy webhook: ${outcome.message}`];
  if (outcome.kind === 'queued') return { ok: true, message: outcome.message, lines };
  if (outcome.kind !== 'refused' || !call.fallbackApplicationId || !client.hasApi) return { ok: false, message: outcome.message, lines };
  lines.push(`▶ Dokploy API: application.deploy ${call.fallbackApplicationId} (the webhook was refused)`);
  try {
    await client.deploy(call.fallbackApplicationId);
  } catch (err) {
    const why = err instanceof DokployApiError ? err.message : String(err);
    lines.push(`✗ Dokploy API: ${why}`);
    return { ok: false, message: `${outcome.message}; application.deploy failed too: ${why}`, lines };
  }
  const message = `Dokploy queued the deployment through its API (the webhook answered: ${outcome.message})`;
  lines.push(`✓ ${message}`);
  return { ok: true, message, lines };
}
