import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerScrape } from './access.ts';
import type { SlipwayMetrics } from './slipway-metrics.ts';

export interface MetricsServerOptions {
  metrics: SlipwayMetrics;
  port: number;
  token?: string;
  onError?: (err: unknown) => void;
}

/**
 * `/metrics` on a port of its own (SLIPWAY_METRICS_PORT), so it can stay off the address the
 * internet reaches. A small listener with nothing else on it: every other path is 404.
 */
export class MetricsServer {
  private readonly server: Server;
  private address: AddressInfo | undefined;

  constructor(private readonly o: MetricsServerOptions) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, headers: Record<string, string>, body: string) => {
        res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      const json = { 'content-type': 'application/json; charset=utf-8' };
      if (path !== '/metrics') return send(404, json, JSON.stringify({ error: 'not_found', message: `no route ${req.method} ${path}` }));
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { ...json, allow: 'GET, HEAD' }, JSON.stringify({ error: 'method_not_allowed', message: 'GET /metrics' }));
      answerScrape(() => o.metrics.scrape(), o.token, req.headers.authorization).then(
        (a) => send(a.status, a.headers, a.body),
        (err) => {
          o.onError?.(err);
          send(500, json, JSON.stringify({ error: 'internal', message: 'metrics could not be collected; see the server log' }));
        },
      );
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  async listen(host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(new Error(`SLIPWAY_METRICS_PORT: cannot listen on ${host}:${this.o.port}: ${err.message}`));
      this.server.once('error', failed);
      this.server.listen(this.o.port, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
    return this.url!;
  }

  /** http://host:port/metrics once listening. */
  get url(): string | undefined {
    if (!this.address) return undefined;
    const host = this.address.address === '0.0.0.0' || this.address.address === '::' ? '127.0.0.1' : this.address.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.address.port}/metrics`;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
