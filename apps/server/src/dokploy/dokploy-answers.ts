/**
 * What Dokploy's answers mean (docs/contracts.md, section 9, read from Dokploy v0.30's source).
 * Pure: no I/O, so every documented answer is tested directly and the client stays thin.
 */

/** What a call to a deploy webhook (`/api/deploy/<refreshToken>`) achieved. */
export type WebhookOutcome =
  /** 200: Dokploy queued a deployment. Queued only: it does not mean the app is live. */
  | { kind: 'queued'; message: string }
  /** 301 with no Location: Dokploy ignored the call (branch or image mismatch). */
  | { kind: 'ignored'; message: string }
  /** 400: auto-deploy is off for the application, or Dokploy failed to queue. */
  | { kind: 'refused'; message: string }
  /** 404: no application has that token. */
  | { kind: 'unknown_token'; message: string }
  /** Anything else: another status, a network failure, a timeout. */
  | { kind: 'error'; message: string; status?: number };

/** Dokploy puts its reason in `message` (JSON); fall back to the text, kept short. */
export function answerMessage(body: string): string | undefined {
  const text = body.trim();
  if (!text) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message;
  } catch {
    /* not JSON */
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

export function interpretWebhookAnswer(status: number, body: string): WebhookOutcome {
  const said = answerMessage(body);
  switch (status) {
    case 200:
      return { kind: 'queued', message: said ?? 'Application deployed successfully' };
    case 301:
      // Dokploy's reason ("Watch Paths Not Match", "Branch Not Match", an image name or tag) is what
      // the person needs to fix it: kept.
      return { kind: 'ignored', message: `Dokploy ignored the call: ${said ?? 'the branch or image does not match the application'}` };
    case 400:
      return { kind: 'refused', message: said ?? 'Dokploy refused the call (auto-deploy is off, or it failed to queue)' };
    case 404:
      return { kind: 'unknown_token', message: 'Dokploy knows no application with this webhook token' };
    default:
      return { kind: 'error', status, message: `Dokploy answered HTTP ${status}${said ? `: ${said}` : ''}` };
  }
}

/** What a push changed, as GitHub's push event lists it per commit (Dokploy matches watch paths on it). */
export interface ChangedPaths {
  added: string[];
  modified: string[];
  removed: string[];
}

/** The commit a deploy call is about: Dokploy records `head_commit` and matches watch paths on `commits`. */
export interface PushedCommit {
  id: string;
  message: string;
  changes: ChangedPaths;
}

/**
 * The request a deploy webhook needs, shaped as GitHub's push event (Dokploy v0.30 reads GitHub's
 * fields when `X-GitHub-Event` is set). Git-sourced applications only redeploy on a push event for
 * their branch (`{"ref":"refs/heads/<branch>"}`), and, with watch paths, only when a path of
 * `commits[].added/modified/removed` matches; Dokploy records `head_commit.message` as the
 * deployment's title and `head_commit.id` as its hash. Image-sourced applications redeploy on any POST.
 */
export function webhookRequest(o: { branch: string; gitSourced: boolean; commit?: PushedCommit }): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!o.gitSourced) return { headers, body: '{}' };
  headers['x-github-event'] = 'push';
  const body: Record<string, unknown> = { ref: `refs/heads/${o.branch}` };
  const c = o.commit;
  if (c) {
    body.after = c.id;
    body.head_commit = { id: c.id, message: c.message };
    body.commits = [{ id: c.id, message: c.message, added: c.changes.added, modified: c.changes.modified, removed: c.changes.removed }];
  }
  return { headers, body: JSON.stringify(body) };
}

// ---- API ----

export const DOKPLOY_DEPLOYMENT_STATUSES = ['running', 'done', 'error', 'cancelled'] as const;
export type DokployDeploymentStatus = (typeof DOKPLOY_DEPLOYMENT_STATUSES)[number];

/** One row of `GET /api/deployment.all`: only the fields Slipway reads. */
export interface DokployDeployment {
  deploymentId: string;
  status: DokployDeploymentStatus;
  title: string | null;
  createdAt: string;
  errorMessage: string | null;
}

/** `deployment.all`'s body → deployments, newest first (sorted again: never trust an order). */
export function parseDeployments(json: unknown): DokployDeployment[] {
  if (!Array.isArray(json)) throw new Error('Dokploy deployment.all did not answer a list');
  const out: DokployDeployment[] = [];
  for (const row of json) {
    if (!row || typeof row !== 'object') continue;
    const r = row as Record<string, unknown>;
    if (typeof r.deploymentId !== 'string' || typeof r.createdAt !== 'string') continue;
    const status = (DOKPLOY_DEPLOYMENT_STATUSES as readonly unknown[]).includes(r.status) ? (r.status as DokployDeploymentStatus) : 'running';
    out.push({
      deploymentId: r.deploymentId,
      status,
      title: typeof r.title === 'string' ? r.title : null,
      createdAt: r.createdAt,
      errorMessage: typeof r.errorMessage === 'string' && r.errorMessage ? r.errorMessage : null,
    });
  }
  return out.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** `deployment.readLogs`'s body (a JSON string, or `{logs}`, or plain text) → its last lines. */
export function parseLogs(body: string, tail: number): string[] {
  let text = body;
  try {
    const json = JSON.parse(body) as unknown;
    if (typeof json === 'string') text = json;
    else if (Array.isArray(json)) text = json.map(String).join('\n');
    else if (json && typeof json === 'object' && 'logs' in json) {
      const logs = (json as { logs: unknown }).logs;
      text = Array.isArray(logs) ? logs.map(String).join('\n') : String(logs ?? '');
    }
  } catch {
    /* plain text */
  }
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.slice(-tail);
}

/**
 * The Dokploy deployment that belongs to a target: the newest one, if it was created at or after
 * `sinceMs` (the target's start, less an allowance for clock skew). An older one is someone else's.
 */
export function deploymentSince(newest: DokployDeployment | undefined, sinceMs: number): DokployDeployment | undefined {
  if (!newest) return undefined;
  const created = Date.parse(newest.createdAt);
  return Number.isFinite(created) && created >= sinceMs ? newest : undefined;
}

/** `https://dokploy.example.com` or `…/api` → the URL of one API procedure. */
export function apiEndpoint(apiUrl: string, procedure: string, query?: Record<string, string | number>): string {
  const base = apiUrl.replace(/\/+$/, '');
  const root = /\/api$/.test(base) ? base : `${base}/api`;
  const qs = query ? `?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()}` : '';
  return `${root}/${procedure}${qs}`;
}
