import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { DeploymentView } from '../../../../core/deployment-status';
import { deploymentPayload } from '../../../../../testing/deployments';
import { DeploymentStatusDialog } from './deployment-status-dialog.service';
import { openDeploymentStatus, settle } from '../../../../../testing/deployment-status-dialog';

/**
 * Issue 12, item 4: a successful deployment whose service Slipway runs says whether it answers
 * now (`live`). Stopped: no "Open the live module", a Start instead; running, or unknown (CI
 * elsewhere): the link.
 */
describe('DeploymentStatusComponent live state', () => {
  let http: HttpTestingController;

  function open() {
    const dialog = openDeploymentStatus([{ provide: DeploymentStatusDialog, useValue: { open: () => undefined } }]);
    http = dialog.http;
    return dialog.fixture;
  }
  const URL = 'http://127.0.0.1:41234/api/products';
  const succeeded = (live: DeploymentView['live']) => ({
    ...deploymentPayload({
      status: 'success',
      sequence: 5,
      url: URL,
      message: "Module 'products' deployed successfully! 🎉",
      targets: [{ ...deploymentPayload().targets[0]!, status: 'success', progress: 100, url: URL }],
      live,
    }),
    all_logs: [],
    events: [],
  });
  const running = { state: 'running' as const, url: URL, services: [{ application_id: 'backend', state: 'running' as const, url: URL }] };
  const stopped = { state: 'stopped' as const, url: URL, services: [{ application_id: 'backend', state: 'stopped' as const, url: URL }] };
  const q = (el: HTMLElement, id: string) => el.querySelector(`[data-testid=${id}]`) as HTMLElement | null;
  const targetLink = (el: HTMLElement) => el.querySelector('[data-target=backend] a[href]');

  it('a stopped service: no live link, a Start that starts it and then offers the link', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/deployments/7').flush(succeeded(stopped));
    await settle(fixture);
    expect(q(el, 'deployment-status')!.textContent).toContain('Success');
    expect(q(el, 'live-url')).toBeNull();
    expect(targetLink(el)).toBeNull();
    expect(q(el, 'live-state')!.textContent).toContain('not running');

    (q(el, 'start-services') as HTMLButtonElement).click();
    const req = http.expectOne('/api/admin/modules/products/services/start');
    expect(req.request.method).toBe('POST');
    req.flush(succeeded(running));
    await settle(fixture);
    expect(q(el, 'start-services')).toBeNull();
    expect(q(el, 'live-state')).toBeNull();
    expect(q(el, 'live-url')!.getAttribute('href')).toBe(URL);
    expect(targetLink(el)!.getAttribute('href')).toBe(URL);
    http.verify();
  });

  it('a running service, or one Slipway cannot probe (null): the live link, no Start', async () => {
    for (const live of [running, null]) {
      TestBed.resetTestingModule();
      const fixture = open();
      const el = fixture.nativeElement as HTMLElement;
      http.expectOne('/api/admin/deployments/7').flush(succeeded(live));
      await settle(fixture);
      expect(q(el, 'live-url')!.getAttribute('href')).toBe(URL);
      expect(q(el, 'start-services')).toBeNull();
      http.verify();
    }
  });
});
