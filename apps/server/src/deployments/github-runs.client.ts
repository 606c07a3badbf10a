/** A GitHub Actions run as the watchdog reads it. */
export interface GitHubRun {
  status: string;
  conclusion: string | null;
  htmlUrl: string | null;
}

/** `gh-<run id>` (the notifier's default external id) → the run id. */
export function runIdOf(externalId: string | null): string | undefined {
  return externalId?.match(/^gh-(\d+)(?:-\d+)?$/)?.[1];
}

/** GitHub's run `status`/`conclusion` → what it means for a target. Pure. */
export function runVerdict(run: GitHubRun): { kind: 'running' } | { kind: 'success' } | { kind: 'failed'; conclusion: string } {
  if (run.status !== 'completed') return { kind: 'running' };
  if (run.conclusion === 'success') return { kind: 'success' };
  return { kind: 'failed', conclusion: run.conclusion ?? 'unknown' };
}

/**
 * `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the watchdog) and its `/cancel` (Cancel), bounded by a timeout. The token goes in the
 * Authorization header only, never in a message.
 */
export class GitHubRunsClient {
  constructor(private readonly o: { token: string; apiUrl: string; timeoutMs: number; fetch?: typeof fetch }) {}

  /**
   * `POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel`: `cancelled` when GitHub accepted it
   * (202; the run ends `cancelled` shortly after), `completed` when the run had already finished
   * (409). Anything else throws, naming the status.
   */
  async cancel(repository: string, runId: string): Promise<'cancelled' | 'completed'> {
    const url = `${this.o.apiUrl.replace(/\/+$/, '')}/repos/${repository}/actions/runs/${encodeURIComponent(runId)}/cancel`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, { method: 'POST', headers: this.headers(), signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw new Error(`GitHub API unreachable: ${e?.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : (e?.message ?? String(err))}`);
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 202) return 'cancelled';
    if (res.status === 409) return 'completed';
    throw new Error(`GitHub API answered HTTP ${res.status} to cancelling run ${runId} of ${repository}`);
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.o.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'slipway' };
  }

  async run(repository: string, runId: string): Promise<GitHubRun> {
    const url = `${this.o.apiUrl.replace(/\/+$/, '')}/repos/${repository}/actions/runs/${encodeURIComponent(runId)}`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, {
        headers: this.headers(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; message?: string };
      throw new Error(`GitHub API unreachable: ${e?.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : (e?.message ?? String(err))}`);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new Error(`GitHub API answered HTTP ${res.status} for run ${runId} of ${repository}`);
    const json = JSON.parse(text) as { status?: unknown; conclusion?: unknown; html_url?: unknown };
    return {
      status: typeof json.status === 'string' ? json.status : 'unknown',
      conclusion: typeof json.conclusion === 'string' ? json.conclusion : null,
      htmlUrl: typeof json.html_url === 'string' ? json.html_url : null,
    };
  }
}
