/**
 * The GitHub REST calls of the git host feedback and Promote (docs/previews.md): deployments and
 * their statuses, commit statuses, pull requests. The token travels in the Authorization header
 * only: never in a URL, an argument or a message.
 */
export type GitHubDeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
export type GitHubCommitState = 'error' | 'failure' | 'pending' | 'success';

export class GitHubApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

export interface PullRequest {
  number: number;
  url: string;
}

export class GitHubClient {
  constructor(private readonly o: { token: string; apiUrl: string; timeoutMs: number; fetch?: typeof fetch }) {}

  /** `POST /repos/{o}/{r}/deployments`: a deployment of `ref` (a commit) to `environment`; its id. */
  async createDeployment(repository: string, d: { ref: string; environment: string; description: string; transient: boolean }): Promise<string> {
    const body = await this.call('POST', `/repos/${repository}/deployments`, {
      ref: d.ref,
      environment: d.environment,
      description: d.description,
      // A module branch is deployed as it is: GitHub must not merge the base into it, nor wait for checks.
      auto_merge: false,
      required_contexts: [],
      transient_environment: d.transient,
      production_environment: false,
    });
    const id = (body as { id?: unknown }).id;
    if (typeof id !== 'number' && typeof id !== 'string') throw new GitHubApiError(`GitHub created no deployment for ${repository}: ${messageOf(body)}`, 202, body);
    return String(id);
  }

  /** `POST /repos/{o}/{r}/deployments/{id}/statuses`. */
  async createDeploymentStatus(repository: string, deploymentId: string, s: { state: GitHubDeploymentState; description: string; environmentUrl?: string; logUrl?: string }): Promise<void> {
    await this.call('POST', `/repos/${repository}/deployments/${encodeURIComponent(deploymentId)}/statuses`, {
      state: s.state,
      description: s.description.slice(0, 140),
      ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
      ...(s.logUrl ? { log_url: s.logUrl } : {}),
      auto_inactive: true,
    });
  }

  /** `POST /repos/{o}/{r}/statuses/{sha}` with context `context`. */
  async createCommitStatus(repository: string, sha: string, s: { state: GitHubCommitState; description: string; targetUrl?: string; context: string }): Promise<void> {
    await this.call('POST', `/repos/${repository}/statuses/${encodeURIComponent(sha)}`, {
      state: s.state,
      description: s.description.slice(0, 140),
      context: s.context,
      ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
    });
  }

  /**
   * `POST /repos/{o}/{r}/pulls` from `head` to `base`. When GitHub answers 422 because one is open
   * already, that one (`GET /repos/{o}/{r}/pulls?head=<owner>:<head>&base=&state=open`), `existing`.
   */
  async openPullRequest(repository: string, p: { head: string; base: string; title: string; body: string }): Promise<PullRequest & { existing: boolean }> {
    try {
      const created = (await this.call('POST', `/repos/${repository}/pulls`, { title: p.title, head: p.head, base: p.base, body: p.body })) as { number: number; html_url: string };
      return { number: created.number, url: created.html_url, existing: false };
    } catch (err) {
      if (!(err instanceof GitHubApiError) || err.status !== 422 || !/already exists/i.test(JSON.stringify(err.body ?? ''))) throw err;
      const owner = repository.split('/')[0]!;
      const q = new URLSearchParams({ head: `${owner}:${p.head}`, base: p.base, state: 'open' });
      const open = (await this.call('GET', `/repos/${repository}/pulls?${q}`)) as { number: number; html_url: string }[];
      if (!Array.isArray(open) || !open[0]) throw err;
      return { number: open[0].number, url: open[0].html_url, existing: true };
    }
  }

  /**
   * A merged pull request from `head` into `base` (`GET /repos/{o}/{r}/pulls?head=<owner>:<head>&base=&state=closed`,
   * one with `merged_at`), or undefined: the module's branch was merged on GitHub.
   */
  async mergedPullRequest(repository: string, head: string, base: string): Promise<PullRequest | undefined> {
    const owner = repository.split('/')[0]!;
    const q = new URLSearchParams({ head: `${owner}:${head}`, base, state: 'closed' });
    const closed = (await this.call('GET', `/repos/${repository}/pulls?${q}`)) as { number: number; html_url: string; merged_at?: string | null }[];
    const merged = Array.isArray(closed) ? closed.find((p) => p.merged_at) : undefined;
    return merged && { number: merged.number, url: merged.html_url };
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.o.apiUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, {
        method,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'slipway',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw new GitHubApiError(`GitHub API unreachable: ${e?.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : (e?.message ?? String(err))}`, undefined, undefined);
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (!res.ok) throw new GitHubApiError(`GitHub API answered HTTP ${res.status} to ${method} ${path.split('?')[0]}: ${messageOf(json)}`, res.status, json);
    return json;
  }
}

function messageOf(body: unknown): string {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m.slice(0, 200) : 'no message';
}
