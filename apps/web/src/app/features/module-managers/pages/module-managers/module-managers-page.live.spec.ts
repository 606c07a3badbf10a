import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { DeploymentView } from '../../../../core/deployment-status';
import { deploymentPayload } from '../../../../../testing/deployments';
import { DeploymentStatusDialog } from '../../dialogs/deployment-status/deployment-status-dialog.service';
import { ModuleManagersPageComponent } from './module-managers-page.component';

/** Issue 12, item 4: the module list says when a module's live service is not running, and offers Start. */
describe('ModuleManagersPageComponent live state', () => {
  const URL = 'http://127.0.0.1:41234/api/products';
  const deployment = (state: 'running' | 'stopped'): DeploymentView & { all_logs: string[]; events: [] } => ({
    ...deploymentPayload({
      status: 'success',
      sequence: 5,
      url: URL,
      targets: [{ ...deploymentPayload().targets[0]!, status: 'success', progress: 100, url: URL }],
      live: { state, url: URL, services: [{ application_id: 'backend', state, url: URL }] },
    }),
    all_logs: [],
    events: [],
  });
  const moduleView = (state: 'running' | 'stopped') => ({
    name: 'Products',
    slug: 'products',
    description: '',
    fields: [],
    applications: ['backend'],
    git: { enabled: true, createBranch: true, baseBranch: 'main' },
    owner_id: 1,
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-01T10:00:00Z',
    latest_deployment: deployment(state),
  });
  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r));
      f.detectChanges();
      await f.whenStable();
    }
  };

  it('shows "not running" and a Start that starts the services; then the note goes', async () => {
    TestBed.configureTestingModule({
      imports: [ModuleManagersPageComponent],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), { provide: DeploymentStatusDialog, useValue: { open: () => undefined } }],
    });
    const http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(ModuleManagersPageComponent);
    fixture.detectChanges();
    http.expectOne('/api/admin/modules').flush({ data: [moduleView('stopped')] });
    await settle(fixture);
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid=live-stopped][data-module=products]')!.textContent).toContain('not running');

    (el.querySelector('button[aria-label="Actions for Products"]') as HTMLButtonElement).click();
    await settle(fixture);
    (document.querySelector('[data-testid=start-services]') as HTMLButtonElement).click();
    const req = http.expectOne('/api/admin/modules/products/services/start');
    expect(req.request.method).toBe('POST');
    req.flush(deployment('running'));
    await settle(fixture);
    expect(el.querySelector('[data-testid=live-stopped]')).toBeNull();
    http.verify();
  });
});
