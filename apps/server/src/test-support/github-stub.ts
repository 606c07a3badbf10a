/**
 * CONTRACT STUB of GitHub's REST API — not GitHub. A real HTTP server answering the calls
 * Slipway makes (Bearer token, else 401; unknown run 404):
 * - `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the watchdog): a run's `status`
 *   (queued/in_progress/completed) and `conclusion` (success/failure/cancelled/…; null until completed);
 * - `POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel` (Cancel): as GitHub's REST reference
 *   says, `202 Accepted` with an empty object for a run not completed (the run then ends
 *   `completed`/`cancelled`, at once here), `409 Conflict` `{"message":"Cannot cancel a workflow
 *   run that is completed."}` for a completed one.
 * Tests set runs with `setRun` and read what was asked in `calls`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRun {
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | 'timed_out' | null;
}

export class GitHubStub {
  readonly calls: { method: string; path: string; status: number }[] = [];
  private readonly runs = new Map<string, StubRun>();
  private server!: Server;
  url = '';

  private constructor(readonly token: string) {}

  static async start(o: { token?: string } = {}): Promise<GitHubStub> {
    const stub = new GitHubStub(o.token ?? 'gh-stub-token');
    stub.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://stub').pathname;
      const method = req.method ?? 'GET';
      const answer = stub.handle(method, req.headers.authorization, path);
      stub.calls.push({ method, path, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  setRun(repository: string, runId: number | string, run: StubRun): void {
    this.runs.set(`${repository}#${runId}`, run);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The run as it is now (after a cancel: completed, cancelled). */
  getRun(repository: string, runId: number | string): StubRun | undefined {
    return this.runs.get(`${repository}#${runId}`);
  }

  private handle(method: string, auth: string | undefined, path: string): { status: number; body: unknown } {
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`) return { status: 401, body: { message: 'Bad credentials' } };
    const m = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)(\/cancel)?$/.exec(path);
    const run = m ? this.runs.get(`${m[1]}#${m[2]}`) : undefined;
    if (!m || !run || (m[3] ? method !== 'POST' : method !== 'GET')) return { status: 404, body: { message: 'Not Found' } };
    if (m[3]) {
      if (run.status === 'completed') return { status: 409, body: { message: 'Cannot cancel a workflow run that is completed.' } };
      this.runs.set(`${m[1]}#${m[2]}`, { status: 'completed', conclusion: 'cancelled' });
      return { status: 202, body: {} };
    }
    return {
      status: 200,
      body: { id: Number(m[2]), status: run.status, conclusion: run.conclusion, html_url: `https://github.com/${m[1]}/actions/runs/${m[2]}` },
    };
  }
}
