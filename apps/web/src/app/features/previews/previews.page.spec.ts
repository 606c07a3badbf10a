import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import type { PreviewView } from '@slipway/contracts';
import { viaPreview } from '../module-managers/dialogs/deployment-status/deployment-status.component';
import { age, PreviewsPage } from './previews.page';

describe('PreviewsPage', () => {
  let http: HttpTestingController;

  function open() {
    TestBed.configureTestingModule({
      imports: [PreviewsPage],
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(PreviewsPage);
    fixture.detectChanges();
    return fixture;
  }
  afterEach(() => http?.verify());

  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r));
      f.detectChanges();
      await f.whenStable();
    }
  };
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
  const preview = (p: Partial<PreviewView>): PreviewView => ({
    module_slug: 'products',
    application_id: 'backend',
    branch: 'module/products',
    kind: 'local',
    state: 'active',
    url: '/preview/products/backend/',
    deployment_id: 3,
    commit_sha: 'abc1234',
    message: null,
    created_at: hoursAgo(50),
    deployed_at: hoursAgo(2),
    torn_down_at: null,
    expires_at: new Date(Date.now() + 70 * 3_600_000).toISOString(),
    owner_id: 1,
    ...p,
  });
  const confirm = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    await settle(f);
    (document.querySelector('[data-testid=confirm-preview-action]') as HTMLButtonElement).click();
    await settle(f);
  };

  it('says how long ago, in words', () => {
    const now = Date.parse('2026-01-05T12:00:00Z');
    expect([age('2026-01-05T11:59:30Z', now), age('2026-01-05T11:15:00Z', now), age('2026-01-05T09:00:00Z', now), age('2026-01-02T12:00:00Z', now)]).toEqual(['30 s', '45 min', '3 h', '3 d']);
  });

  it('maps a local service URL to its preview path, and leaves others alone', () => {
    expect(viaPreview('products', 'backend', 'http://127.0.0.1:41234/api/products?x=1')).toBe('/preview/products/backend/api/products?x=1');
    expect(viaPreview('products', 'frontend', 'http://localhost:5000/')).toBe('/preview/products/frontend/');
    expect(viaPreview('products', 'backend', 'https://products.example.com/api')).toBe('https://products.example.com/api');
    expect(viaPreview('products', 'backend', null)).toBeNull();
  });

  it('lists previews with their state, link and age; a torn down one says why', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/previews').flush({ data: [preview({}), preview({ module_slug: 'old', state: 'torn_down', url: null, message: 'expired: no deploy for 72 h', expires_at: null })] });
    await settle(fixture);
    const rows = [...el.querySelectorAll('[data-testid=preview-row]')];
    expect(rows).toHaveLength(2);
    expect(rows[0]!.querySelector('[data-testid=preview-url]')!.getAttribute('href')).toBe('/preview/products/backend/');
    expect(rows[0]!.textContent).toContain('2 d, deployed 2 h ago');
    expect(rows[1]!.textContent).toContain('torn down');
    expect(rows[1]!.textContent).toContain('expired: no deploy for 72 h');
    expect(rows[1]!.querySelector('[data-testid=tear-down]')).toBeNull();
    expect(el.textContent).toContain('after 72 hours without a deployment');
  });

  it('tears down after a confirmation', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/previews').flush({ data: [preview({})] });
    await settle(fixture);
    (el.querySelector('[data-testid=tear-down]') as HTMLButtonElement).click();
    await confirm(fixture);
    const req = http.expectOne('/api/admin/previews/products');
    expect(req.request.method).toBe('DELETE');
    req.flush({ torn_down: 1 });
    await settle(fixture);
    http.expectOne('/api/admin/previews').flush({ data: [preview({ state: 'torn_down', message: 'torn down by admin@example.com' })] });
    await settle(fixture);
    expect(el.textContent).toContain('torn down by admin@example.com');
  });

  it('promotes after a confirmation: asks, then confirms the hosted merge, and says what was done', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/previews').flush({ data: [preview({})] });
    await settle(fixture);
    (el.querySelector('[data-testid=promote]') as HTMLButtonElement).click();
    await confirm(fixture);
    const ask = http.expectOne('/api/admin/modules/products/promote');
    expect(ask.request.body).toEqual({});
    ask.flush({ results: [{ application_id: 'backend', kind: 'confirm', url: null, number: null, existing: false, commit: null, fast_forward: null }] });
    await settle(fixture);
    const merge = http.expectOne('/api/admin/modules/products/promote');
    expect(merge.request.body).toEqual({ confirm: true });
    merge.flush({ results: [{ application_id: 'backend', kind: 'merged', url: null, number: null, existing: false, commit: '0123456789abcdef', fast_forward: true }] });
    await settle(fixture);
    http.expectOne('/api/admin/previews').flush({ data: [] });
    await settle(fixture);
    expect(el.querySelector('[data-testid=promote-result]')!.textContent).toContain('backend: merged (fast-forward 0123456)');
  });

  it('shows a merge conflict', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/previews').flush({ data: [preview({})] });
    await settle(fixture);
    (el.querySelector('[data-testid=promote]') as HTMLButtonElement).click();
    await confirm(fixture);
    http.expectOne('/api/admin/modules/products/promote').flush({ results: [{ application_id: 'backend', kind: 'confirm', url: null, number: null, existing: false, commit: null, fast_forward: null }] });
    await settle(fixture);
    http
      .expectOne('/api/admin/modules/products/promote')
      .flush({ error: 'merge_conflict', message: 'module/products does not merge into main of backend: conflicts in server.js', details: [{ field: 'server.js', message: 'conflict' }] }, { status: 409, statusText: 'Conflict' });
    await settle(fixture);
    http.expectOne('/api/admin/previews').flush({ data: [preview({})] });
    await settle(fixture);
    expect(el.querySelector('[data-testid=previews-error]')!.textContent).toContain('conflicts in server.js');
  });
});
