/** The applications file's `dokploy.previews` settings: what a Dokploy preview needs is checked at start. */
import { describe, expect, it } from 'vitest';
import { appFileSchema } from '../config/app-file.schema.ts';

const app = (dokploy: object) => ({ applications: [{ id: 'web', dokploy }] });

describe('dokploy.previews in the applications file', () => {
  it('needs the API, an environment, an image and a domain template with {slug}', () => {
    const r = appFileSchema.safeParse(app({ previews: true, previewDomain: 'preview.example.com' }));
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'applications.0.dokploy.previewDomain: must contain {slug}',
        'applications.0.dokploy.apiUrl: dokploy.previews needs dokploy.apiUrl',
        'applications.0.dokploy.environmentId: dokploy.previews needs dokploy.environmentId',
        'applications.0.dokploy.image: dokploy.previews needs dokploy.image',
      ]),
    );
  });

  it('accepts a complete one, and nothing is needed without previews', () => {
    const full = { apiUrl: 'https://dokploy.example.com', apiKeyEnv: 'DOKPLOY_API_KEY', previews: true, environmentId: 'env-1', image: 'ghcr.io/acme/web', previewDomain: '{slug}.preview.example.com', previewPort: 8080 };
    expect(appFileSchema.safeParse(app(full)).success).toBe(true);
    expect(appFileSchema.safeParse(app({ webhookUrl: 'https://dokploy.example.com/api/deploy/x' })).success).toBe(true);
  });
});
