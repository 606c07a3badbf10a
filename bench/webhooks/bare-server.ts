import Fastify from 'fastify';

// The baseline: a bare Fastify route that reads a JSON body and answers, with no signature,
// no validation and no database. Whatever Slipway's intake costs beyond this is its own work.
const app = Fastify({ logger: false });
app.post('/api/webhooks/dokploy/deployment', async () => ({ ok: true }));
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
