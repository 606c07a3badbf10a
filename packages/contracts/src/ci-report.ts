import { z } from 'zod';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from './status.ts';

/** Words CI may send: the spec's three, plus the internal statuses accepted directly. */
export const CI_WORDS = ['running', 'done', 'error', ...DEPLOYMENT_STATUSES] as const;
export type CiWord = (typeof CI_WORDS)[number];

export const CI_STAGES = ['build', 'deploy', 'health'] as const;
export type CiStage = (typeof CI_STAGES)[number];

const text = (max: number) => z.string().max(max);

/**
 * Body of `POST /api/webhooks/dokploy/deployment` (docs/contracts.md, section 1). Only `status` is required, so the
 * spec's minimal test payload is accepted. Unknown keys are kept out, not refused: CI may grow fields.
 */
export const ciReportSchema = z.object({
  deploymentId: text(200).min(1).optional(),
  applicationId: text(100).min(1).optional(),
  status: z.enum(CI_WORDS),
  branch: text(255).min(1).optional(),
  commit: text(64).optional(),
  message: text(2000).optional(),
  moduleName: text(100).optional(),
  isModuleBranch: z.boolean().optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  // Extensions (the contract may be extended, not changed): stage of the pipeline, log lines, live URL, CI run link.
  stage: z.enum(CI_STAGES).optional(),
  logs: z.array(text(2000)).max(500).optional(),
  url: z.url().max(2000).optional(),
  runUrl: z.url().max(2000).optional(),
  // The CI run's attempt (GITHUB_RUN_ATTEMPT): a re-run keeps the run's id, so a later attempt moves its target on.
  runAttempt: z.number().int().min(1).max(1_000_000).optional(),
});
export type CiReport = z.infer<typeof ciReportSchema>;

/**
 * CI word → internal status (docs/contracts.md, section 1). `running` is `building`, or `deploying` at the deploy
 * stage; `done` is `success`, or `deploying` while Slipway must still confirm with Dokploy.
 */
export function mapCiStatus(
  word: CiWord,
  stage?: CiStage,
  opts: { awaitConfirmation?: boolean } = {},
): DeploymentStatus {
  switch (word) {
    case 'running':
      return stage === 'deploy' || stage === 'health' ? 'deploying' : 'building';
    case 'done':
      return opts.awaitConfirmation ? 'deploying' : 'success';
    case 'error':
      return 'failed';
    default:
      return word;
  }
}

/** `module/<slug>` → `<slug>`; anything else → undefined. */
export function moduleSlugFromBranch(branch: string | undefined): string | undefined {
  const m = branch?.match(/^module\/([a-z][a-z0-9-]{0,62})$/);
  return m?.[1];
}

export const MODULE_SLUG_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
