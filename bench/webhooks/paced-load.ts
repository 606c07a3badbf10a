import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface PacedResult {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/**
 * Open-loop load at a fixed rate: request i is sent at start + i/rate (to the sender's 1 ms timer)
 * whether or not earlier ones have answered, so a server stall shows in the latencies of every
 * request sent during it instead of slowing the sender (no coordinated omission). autocannon's `overallRate` is not this:
 * each connection sends its share of a second in one burst, then waits for the next second, so
 * its "latency at 1,000 req/s" is the latency of bursts at full concurrency.
 */
export async function pacedLoad(url: string, rate: number, seconds: number, next: () => PacedRequest): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let non2xx = 0;
  let errors = 0;
  const pending: Promise<void>[] = [];
  const fire = (i: number) =>
    new Promise<void>((resolve) => {
      const r = next();
      const sentAt = performance.now();
      const req = request(`${url}${r.path}`, { method: 'POST', agent, headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies[i] = performance.now() - sentAt;
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          resolve();
        });
      });
      req.on('error', () => {
        latencies[i] = performance.now() - sentAt;
        errors++;
        resolve();
      });
      req.end(r.body);
    });

  const start = performance.now();
  for (let i = 0; i < total; ) {
    const now = performance.now();
    for (; i < total && start + (i * 1000) / rate <= now; i++) pending.push(fire(i));
    await sleep(1);
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { sent: total, p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1]!), non2xx, errors };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
