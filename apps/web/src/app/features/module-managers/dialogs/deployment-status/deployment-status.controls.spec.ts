import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { DeploymentService } from '../../../../core/deployment.service';
import { deploymentPayload } from '../../../../../testing/deployments';
import { DeploymentStatusDialog } from './deployment-status-dialog.service';
import { openDeploymentStatus, settle } from '../../../../../testing/deployment-status-dialog';

/** Issue 12, item 6: Cancel on a running deployment, Retry on one with a failed application. */
describe('DeploymentStatusComponent controls', () => {
  let http: HttpTestingController;
  const opened: string[] = [];

  function open() {
    const dialog = openDeploymentStatus([{ provide: DeploymentStatusDialog, useValue: { open: (id: string) => void opened.push(id) } }]);
    http = dialog.http;
    return dialog.fixture;
  }
  const button = (el: HTMLElement, id: string) => el.querySelector(`[data-testid=${id}]`) as HTMLButtonElement | null;
  const target = (status: 'building' | 'failed' | 'cancelled') => [{ ...deploymentPayload().targets[0]!, status }];

  it('Cancel on a running deployment posts the cancel and shows it cancelled, with no Retry', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload({ status: 'building', sequence: 2, targets: target('building') }), all_logs: [], events: [] });
    await settle(fixture);
    expect(button(el, 'retry-deployment')).toBeNull();
    button(el, 'cancel-deployment')!.click();
    const req = http.expectOne('/api/admin/deployments/7/cancel');
    expect(req.request.method).toBe('POST');
    req.flush({ ...deploymentPayload({ status: 'cancelled', sequence: 3, targets: target('cancelled') }), all_logs: [], events: [] });
    await settle(fixture);
    expect(el.querySelector('[data-testid=deployment-status]')!.textContent).toContain('Cancelled');
    expect(button(el, 'cancel-deployment')).toBeNull();
    expect(button(el, 'retry-deployment')).toBeNull();
    http.verify();
  });

  it('Retry on a failed deployment posts the retry and opens the NEW deployment', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload({ status: 'failed', sequence: 4, targets: target('failed') }), all_logs: [], events: [] });
    await settle(fixture);
    expect(button(el, 'cancel-deployment')).toBeNull();
    button(el, 'retry-deployment')!.click();
    const req = http.expectOne('/api/admin/deployments/7/retry');
    expect(req.request.method).toBe('POST');
    req.flush({ ...deploymentPayload({ deployment_id: '8', status: 'pending', sequence: 1 }), all_logs: [], events: [] });
    await settle(fixture);
    expect(opened).toEqual(['8']);
  });

  it('Roll back to this (issue 16): only on a success older than its module\'s newest; posts the rollback and opens the NEW deployment', async () => {
    opened.length = 0;
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    const success = { status: 'success' as const, sequence: 5, targets: [{ ...deploymentPayload().targets[0]!, status: 'success' as const }] };
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload(success), all_logs: [], events: [] });
    await settle(fixture);
    // The newest deployment of its module: nothing to roll back to.
    expect(button(el, 'rollback-deployment')).toBeNull();
    // A newer deployment of the module becomes known: this one is a past success now.
    const loading = TestBed.inject(DeploymentService).load();
    http.expectOne('/api/admin/deployments/active').flush({ data: [] });
    http.expectOne((r) => r.url === '/api/admin/deployments').flush({ data: [deploymentPayload({ ...success, deployment_id: '9' })], meta: { page: 1, per_page: 50, total: 1 } });
    await loading;
    await settle(fixture);
    button(el, 'rollback-deployment')!.click();
    const req = http.expectOne('/api/admin/modules/products/rollback');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ deploymentId: '7' });
    req.flush({ ...deploymentPayload({ deployment_id: '10', status: 'pending', sequence: 1, rollback_of: '7' }), all_logs: [], events: [] });
    await settle(fixture);
    expect(opened).toEqual(['10']);
  });
});
