import type { DeploymentStatus, DeploymentStatusUpdated, DeploymentView } from '../app/core/deployment-status';

/** A deployment payload for tests, as the server sends it. */
export function deploymentPayload(over: Partial<DeploymentView> & { status?: DeploymentStatus } = {}): DeploymentView {
  const base: DeploymentStatusUpdated = {
    deployment_id: '7',
    module_slug: 'products',
    branch_name: 'module/products',
    status: 'pending',
    message: 'Branch module/products pushed; waiting for CI',
    progress: 0,
    started_at: null,
    finished_at: null,
    logs: [],
    sequence: 1,
    targets: [
      {
        application_id: 'backend',
        status: 'pending',
        progress: 0,
        external_id: null,
        commit_sha: 'abcdef1234567890',
        url: null,
        run_url: null,
        message: null,
        started_at: null,
        finished_at: null,
      },
    ],
    commit_sha: 'abcdef1234567890',
    url: null,
  };
  return { ...base, created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:00:00Z', owner_id: 1, ...over };
}
