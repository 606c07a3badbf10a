import type { Generated } from 'kysely';
import type { DeploymentStatus } from '@slipway/contracts';

/** Timestamps are ISO-8601 UTC strings in both dialects: portable, and they sort as text. */
type Timestamp = string;

export interface UsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  role: 'admin' | 'member';
  created_at: Timestamp;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  /** Written at most once a minute per token, not on every request. */
  last_used_at: Timestamp | null;
  /** null: never expires. */
  expires_at: Timestamp | null;
}

export interface SessionsTable {
  /** sha256 of the cookie value: a stolen database does not yield live sessions. */
  id: string;
  user_id: number;
  csrf_token: string;
  expires_at: Timestamp;
  created_at: Timestamp;
}

/** Failed sign-ins per account (auth/login-throttle.ts); a row is deleted once `forget_after` passes. */
export interface LoginThrottleTable {
  /** sha256 of the lower-cased email as typed, whether or not such a user exists. */
  key_hash: string;
  failures: number;
  last_failure_at: Timestamp;
  locked_until: Timestamp | null;
  forget_after: Timestamp;
}

export interface DeploymentsTable {
  id: Generated<number>;
  module_slug: string | null;
  branch_name: string | null;
  commit_sha: string | null;
  status: DeploymentStatus;
  progress: number;
  message: string | null;
  url: string | null;
  owner_id: number | null;
  last_sequence: number;
  /** The publish (module and version) that created it; null for a deployment CI started. */
  publish_key: string | null;
  /** The deployment this one rolls back to (redeploys what it ran); null when it is no rollback. */
  rollback_of: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DeploymentTargetsTable {
  id: Generated<number>;
  deployment_id: number;
  application_id: string;
  status: DeploymentStatus;
  progress: number;
  external_id: string | null;
  commit_sha: string | null;
  url: string | null;
  run_url: string | null;
  message: string | null;
  /** The CI run attempt it follows (GITHUB_RUN_ATTEMPT); null when CI did not say. */
  run_attempt: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DeploymentEventsTable {
  id: Generated<number>;
  deployment_id: number;
  sequence: number;
  target_id: number | null;
  status: DeploymentStatus;
  message: string | null;
  /** JSON array of log lines. */
  logs: string;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  received_at: Timestamp;
  signature_valid: number;
  /** accepted: it changed a deployment; ignored: valid but stale (nothing moved). */
  outcome: 'accepted' | 'ignored' | 'duplicate' | 'rejected';
  http_status: number;
  error: string | null;
  /** Set for accepted deliveries only: `webhook-id`, else sha256 of the body. Unique. */
  idempotency_key: string | null;
  headers: string;
  body: string | null;
  deployment_id: number | null;
}

export interface ModulesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  /** JSON of the parsed ModuleDefinition (contracts/module.ts). */
  definition: string;
  owner_id: number | null;
  /** Bumped by every update: publish jobs are keyed by it, so one version is pushed once. */
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every saved definition of a module, oldest first: what schema evolution renders migrations from. */
export interface ModuleVersionsTable {
  id: Generated<number>;
  module_id: number;
  /** The module's `version` when this definition was saved (the first one may be above 1: see migration 009). */
  version: number;
  /** JSON of the ModuleDefinition saved. */
  definition: string;
  saved_at: Timestamp;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface JobsTable {
  id: Generated<number>;
  type: string;
  payload: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_at: Timestamp;
  /** Lease: a running job whose lease ran out (its worker died) is taken again. */
  locked_until: Timestamp | null;
  /** Who holds the claim (a JobQueue's id); with `attempts` it names one claim. */
  owner: string | null;
  dedupe_key: string | null;
  last_error: string | null;
  result: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type NotificationKind = 'webhook' | 'slack' | 'discord' | 'email';

export interface NotificationChannelsTable {
  id: Generated<number>;
  name: string;
  kind: NotificationKind;
  /** Comma-separated event names (notifications/events.ts). */
  events: string;
  /** Only this module's deployments; null: every module (global channels are admins'). */
  module_slug: string | null;
  /** Who created it (a member's channels name one of their modules). */
  owner_id: number | null;
  /** JSON of the kind's settings that may be shown (URL host, SMTP host, addresses). */
  settings: string;
  /** JSON of what is never answered in full: webhook URL and secret, SMTP password. */
  secret: string;
  created_at: Timestamp;
}

export interface NotificationDeliveriesTable {
  id: Generated<number>;
  channel_id: number;
  event: string;
  deployment_id: number;
  /** `webhook-id` of the delivery (unique: one delivery per channel, event and deployment). */
  message_id: string;
  status: 'queued' | 'delivered' | 'retrying' | 'failed';
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type PreviewKind = 'local' | 'dokploy';
/** active: reachable; failed: creating it failed (message says why); torn_down: gone (message says why). */
export type PreviewState = 'active' | 'failed' | 'torn_down';

export interface PreviewsTable {
  id: Generated<number>;
  module_slug: string;
  application_id: string;
  /** The module branch it runs. */
  branch: string;
  kind: PreviewKind;
  state: PreviewState;
  url: string | null;
  /** The Dokploy application's id (kind dokploy). */
  external_id: string | null;
  /** The deployment that last created or renewed it. */
  deployment_id: number | null;
  commit_sha: string | null;
  message: string | null;
  created_at: Timestamp;
  /** The last successful deploy: the TTL counts from it. */
  deployed_at: Timestamp;
  updated_at: Timestamp;
  torn_down_at: Timestamp | null;
}

export interface GitHostDeploymentsTable {
  id: Generated<number>;
  deployment_id: number;
  application_id: string;
  /** GitHub's deployment id (a number, kept as text). */
  github_deployment_id: string | null;
  /** The state last sent (in_progress, success, failure, error). */
  last_state: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  deployments: DeploymentsTable;
  deployment_targets: DeploymentTargetsTable;
  deployment_events: DeploymentEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  modules: ModulesTable;
  module_versions: ModuleVersionsTable;
  jobs: JobsTable;
  previews: PreviewsTable;
  git_host_deployments: GitHostDeploymentsTable;
  notification_channels: NotificationChannelsTable;
  notification_deliveries: NotificationDeliveriesTable;
}
