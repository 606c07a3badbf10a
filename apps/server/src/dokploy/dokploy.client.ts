import type { ApplicationConfig } from '../config/app-file.schema.ts';
import {
  apiEndpoint,
  answerMessage,
  interpretWebhookAnswer,
  parseDeployments,
  parseLogs,
  webhookRequest,
  type DokployDeployment,
  type PushedCommit,
  type WebhookOutcome,
} from './dokploy-answers.ts';

export type FetchLike = typeof fetch;

/** A Dokploy application's source as `application.one` answers it. */
export interface DockerSource {
  sourceType: string;
  dockerImage: string | null;
  username: string;
  password: string;
  registryUrl: string;
}

/**
 * `image:tag` with its tag replaced (`ghcr.io/acme/backend:module-x` → `…:sha-abc1234`), reading the
 * image as Docker does: a `:` after the last `/` starts the tag; a digest (`@sha256:…`) is dropped.
 */
export function withImageTag(dockerImage: string, tag: string): string {
  const at = dockerImage.indexOf('@');
  const image = at >= 0 ? dockerImage.slice(0, at) : dockerImage;
  const colon = image.lastIndexOf(':');
  // A registry's port (`host:5000/app`) comes before a `/`; a tag after the last one.
  const name = colon > image.lastIndexOf('/') ? image.slice(0, colon) : image;
  return `${name}:${tag}`;
}

export interface DokployClientOptions {
  /** Dokploy's base URL (`https://dokploy.example.com`, `/api` optional); needed for API calls only. */
  apiUrl?: string;
  /** Sent as `x-api-key`. Never logged, never put in an error. */
  apiKey?: string;
  /** Bound of every call, in milliseconds. */
  timeoutMs?: number;
  fetch?: FetchLike;
}

/**
 * Why an API call failed. `permanent` ones (the key is refused, the application does not exist,
 * the request is wrong) will not change by asking again; the others (Dokploy down, a timeout) may.
 */
export class DokployApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'auth' | 'not_found' | 'rejected' | 'unavailable' | 'not_configured',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DokployApiError';
  }

  get permanent(): boolean {
    return this.kind !== 'unavailable';
  }
}

/**
 * Dokploy over HTTP: its deploy webhooks and the few API procedures Slipway needs. Every call is
 * bounded by a timeout; answers are interpreted by `dokploy-answers.ts`.
 */
export class DokployClient {
  private readonly timeoutMs: number;
  private readonly fetch: FetchLike;

  constructor(private readonly opts: DokployClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  get hasApi(): boolean {
    return Boolean(this.opts.apiUrl && this.opts.apiKey);
  }

  /** Calls a deploy webhook. Never throws: every answer, and every failure, is an outcome. */
  async triggerWebhook(url: string, o: { branch: string; gitSourced: boolean; commit?: PushedCommit }): Promise<WebhookOutcome> {
    const { headers, body } = webhookRequest(o);
    let res: Response;
    try {
      // manual: Dokploy's "ignored" is a 301 with no Location; it must be seen, not followed.
      res = await this.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      return { kind: 'error', message: `Dokploy webhook unreachable (${hostOf(url)}): ${reason(err, this.timeoutMs)}` };
    }
    const text = await readText(res);
    return interpretWebhookAnswer(res.status, text);
  }

  /** `POST /api/application.deploy`: queues a deployment. Dokploy returns no deployment id. */
  async deploy(applicationId: string, o: { title?: string; description?: string } = {}): Promise<void> {
    await this.api('POST', 'application.deploy', undefined, { applicationId, ...o });
  }

  /**
   * `GET /api/application.one?applicationId=`: the application's source (`sourceType`) and, for a
   * `docker` source, its image and registry login (the password stays in memory, never logged).
   */
  async dockerSource(applicationId: string): Promise<DockerSource> {
    const text = await this.api('GET', 'application.one', { applicationId });
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new DokployApiError('Dokploy application.one answered something that is not JSON', 'unavailable');
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return { sourceType: str(json.sourceType), dockerImage: str(json.dockerImage) || null, username: str(json.username), password: str(json.password), registryUrl: str(json.registryUrl) };
  }

  /**
   * `POST /api/application.saveDockerProvider`: the image (and registry login) a `docker` application
   * deploys. Dokploy's input (`apiSaveDockerProvider`) requires every field, so the login is sent back as read.
   */
  async saveDockerImage(applicationId: string, source: DockerSource, dockerImage: string): Promise<void> {
    await this.api('POST', 'application.saveDockerProvider', undefined, { applicationId, dockerImage, username: source.username, password: source.password, registryUrl: source.registryUrl });
  }

  /**
   * `POST /api/application.cancelDeployment {applicationId}`: Dokploy drops the application's queued
   * deployments and ends the running one (its newer versions; older self-hosted ones answer without
   * doing anything: docs/dokploy.md, "Cancel"). Returns Dokploy's message, if it gave one.
   */
  async cancelDeployment(applicationId: string): Promise<string | undefined> {
    const text = await this.api('POST', 'application.cancelDeployment', undefined, { applicationId });
    return answerMessage(text) || undefined;
  }

  /** The application's newest deployment (`GET /api/deployment.all`), or undefined when it has none. */
  async latestDeployment(applicationId: string): Promise<DokployDeployment | undefined> {
    const text = await this.api('GET', 'deployment.all', { applicationId });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DokployApiError('Dokploy deployment.all answered something that is not JSON', 'unavailable');
    }
    return parseDeployments(json)[0];
  }

  /** The last `tail` lines of a deployment's log (`GET /api/deployment.readLogs`). */
  async readLogs(deploymentId: string, tail: number): Promise<string[]> {
    return parseLogs(await this.api('GET', 'deployment.readLogs', { deploymentId, tail }), tail);
  }

  /**
   * Previews (docs/previews.md): `POST /api/application.create {name, appName, description,
   * environmentId}`. Dokploy answers the new application; its `applicationId` is returned.
   */
  async createApplication(input: { name: string; appName: string; description: string; environmentId: string }): Promise<string> {
    const text = await this.api('POST', 'application.create', undefined, input);
    const id = (parseJsonObject(text) as { applicationId?: unknown } | undefined)?.applicationId;
    if (typeof id !== 'string' || !id) throw new DokployApiError('Dokploy application.create answered no applicationId', 'unavailable');
    return id;
  }

  /** `POST /api/application.saveDockerProvider`: the application runs `dockerImage` (no registry credentials). */
  async saveDockerProvider(applicationId: string, dockerImage: string): Promise<void> {
    await this.api('POST', 'application.saveDockerProvider', undefined, { applicationId, dockerImage, username: null, password: null, registryUrl: null });
  }

  /** `POST /api/domain.create`: `host` routes to the application's `port` (Traefik, in Dokploy). */
  async createDomain(input: { applicationId: string; host: string; port: number; https: boolean }): Promise<void> {
    await this.api('POST', 'domain.create', undefined, {
      ...input,
      path: '/',
      certificateType: input.https ? 'letsencrypt' : 'none',
      domainType: 'application',
    });
  }

  /** `POST /api/application.delete {applicationId}`: stops and removes it (its domains with it). */
  async deleteApplication(applicationId: string): Promise<void> {
    await this.api('POST', 'application.delete', undefined, { applicationId });
  }

  private async api(method: 'GET' | 'POST', procedure: string, query?: Record<string, string | number>, body?: unknown): Promise<string> {
    const { apiUrl, apiKey } = this.opts;
    if (!apiUrl || !apiKey) throw new DokployApiError('the Dokploy API is not configured (apiUrl and an API key are needed)', 'not_configured');
    const url = apiEndpoint(apiUrl, procedure, query);
    const headers: Record<string, string> = { 'x-api-key': apiKey, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DokployApiError(`Dokploy API ${procedure} unreachable (${hostOf(url)}): ${reason(err, this.timeoutMs)}`, 'unavailable');
    }
    const text = await readText(res);
    if (res.ok) return text;
    const said = answerMessage(text);
    const message = `Dokploy API ${procedure} answered HTTP ${res.status}${said ? `: ${said}` : ''}`;
    if (res.status === 401 || res.status === 403) throw new DokployApiError(`${message} (is the API key right?)`, 'auth', res.status);
    if (res.status === 404) throw new DokployApiError(message, 'not_found', res.status);
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new DokployApiError(message, 'unavailable', res.status);
    throw new DokployApiError(message, 'rejected', res.status);
  }
}

/** A client for one configured application: its API URL, and its key read from `apiKeyEnv`. */
export function dokployClientFor(app: ApplicationConfig, env: Record<string, string | undefined>, o: { timeoutMs?: number; fetch?: FetchLike } = {}): DokployClient {
  const keyEnv = app.dokploy?.apiKeyEnv;
  return new DokployClient({ apiUrl: app.dokploy?.apiUrl, apiKey: keyEnv ? env[keyEnv] || undefined : undefined, ...o });
}

/** Why the application's Dokploy API cannot be used, or undefined when it can. Names the variable, never its value. */
export function dokployApiProblem(app: ApplicationConfig, env: Record<string, string | undefined>): string | undefined {
  const d = app.dokploy;
  if (!d?.apiUrl) return `application '${app.id}' has no dokploy.apiUrl`;
  if (!d.applicationId) return `application '${app.id}' has no dokploy.applicationId`;
  if (!d.apiKeyEnv) return `application '${app.id}' has no dokploy.apiKeyEnv`;
  if (!env[d.apiKeyEnv]) return `environment variable ${d.apiKeyEnv} (the Dokploy API key of '${app.id}') is not set`;
  return undefined;
}

async function readText(res: Response): Promise<string> {
  try {
    // Bounded: a log tail or a list, never megabytes worth keeping.
    const text = await res.text();
    return text.length > 1_000_000 ? text.slice(-1_000_000) : text;
  } catch {
    return '';
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}

function reason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
