/** listeningAddresses reads the kernel's socket tables: real listeners on loopback and on every address. */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningAddresses, publicAddresses } from './listeners.ts';

describe('listening addresses of a port', () => {
  const servers: Server[] = [];
  const listen = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      servers.push(srv);
      srv.once('error', reject);
      srv.listen(0, host, () => resolve((srv.address() as { port: number }).port));
    });
  afterAll(() => servers.forEach((s) => s.close()));

  it('tells loopback from public listeners', async () => {
    const local = await listen('127.0.0.1');
    expect(listeningAddresses(local)).toEqual(['127.0.0.1']);
    expect(publicAddresses(local)).toEqual([]);
    const everywhere = await listen('0.0.0.0');
    expect(publicAddresses(everywhere)).toEqual(['0.0.0.0']);
    const v6 = await listen('::1').catch(() => undefined);
    if (v6) expect(listeningAddresses(v6)).toEqual(['::1']);
  });
});
