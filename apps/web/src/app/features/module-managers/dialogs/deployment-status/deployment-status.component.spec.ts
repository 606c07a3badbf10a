import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { DeploymentService } from '../../../../core/deployment.service';
import { deploymentPayload } from '../../../../../testing/deployments';
import { WebsocketService } from '../../../../core/websocket.service';
import { DeploymentStatusComponent } from './deployment-status.component';
import { openDeploymentStatus, settle as settleDialog } from '../../../../../testing/deployment-status-dialog';

describe('DeploymentStatusComponent', () => {
  let http: HttpTestingController;
  let ws: WebsocketService;

  function open() {
    const dialog = openDeploymentStatus();
    http = dialog.http;
    ws = TestBed.inject(WebsocketService);
    return dialog.fixture;
  }

  /** Lets the HTTP answer's promise chain run, then renders. */
  const settle = (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => settleDialog(f, 1);
  const text = (el: HTMLElement, sel: string) => (el.querySelector(sel) as HTMLElement | null)?.textContent?.trim() ?? '';
  const stages = (el: HTMLElement) => [...el.querySelectorAll('.steps li')].map((li) => `${li.getAttribute('data-stage')}:${li.className}`);

  it('loads the deployment on open, then follows live events through every stage', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.textContent).toContain('Loading deployment');
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload({ sequence: 1 }), all_logs: ['Branch pushed'], events: [] });
    await settle(fixture);
    expect(text(el, '[data-testid=deployment-status]')).toContain('Pending');
    expect(text(el, '[data-testid=deployment-branch]')).toBe('module/products');
    expect(stages(el)).toEqual(['pending:current', 'building:todo', 'deploying:todo', 'success:todo']);

    ws.events.next(deploymentPayload({ sequence: 2, status: 'building', progress: 30, started_at: '2026-01-01T10:00:00Z', logs: ['Branch pushed', 'npm ci'] }));
    await settle(fixture);
    expect(stages(el)).toEqual(['pending:done', 'building:current', 'deploying:todo', 'success:todo']);
    expect(text(el, '[data-testid=deployment-log]')).toContain('npm ci');

    ws.events.next(deploymentPayload({ sequence: 3, status: 'deploying', progress: 70, logs: ['npm ci', 'docker push'] }));
    ws.events.next(deploymentPayload({ sequence: 2, status: 'building', progress: 30 })); // late duplicate: ignored
    await settle(fixture);
    expect(stages(el)).toEqual(['pending:done', 'building:done', 'deploying:current', 'success:todo']);

    ws.events.next(
      deploymentPayload({
        sequence: 4,
        status: 'success',
        progress: 100,
        finished_at: '2026-01-01T10:02:05Z',
        started_at: '2026-01-01T10:00:00Z',
        url: 'http://products.localhost',
        message: "Module 'products' deployed successfully! 🎉",
        logs: ['docker push', 'healthy'],
      }),
    );
    await settle(fixture);
    expect(text(el, '[data-testid=deployment-message]')).toBe("Module 'products' deployed successfully! 🎉");
    expect(stages(el)).toEqual(['pending:done', 'building:done', 'deploying:done', 'success:done']);
    expect((el.querySelector('[data-testid=live-url]') as HTMLAnchorElement).href).toBe('http://products.localhost/');
    expect(text(el, '[data-testid=deployment-elapsed]')).toBe('2:05');
    expect([...el.querySelectorAll('.log .line')].map((l) => l.textContent)).toEqual(['Branch pushed', 'npm ci', 'docker push', 'healthy']);
    http.verify();
  });

  it('shows the reason and the last log lines when the deployment failed', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    const logs = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    http.expectOne('/api/admin/deployments/7').flush({
      ...deploymentPayload({ sequence: 5, status: 'failed', progress: 100, message: 'docker build exited with 1' }),
      all_logs: logs,
      events: [
        { sequence: 1, status: 'pending', message: null, logs: [], created_at: '2026-01-01T10:00:00Z' },
        { sequence: 2, status: 'building', message: null, logs: [], created_at: '2026-01-01T10:00:10Z' },
        { sequence: 5, status: 'failed', message: 'docker build exited with 1', logs: [], created_at: '2026-01-01T10:01:00Z' },
      ],
    });
    await settle(fixture);
    const failure = el.querySelector('[data-testid=failure]') as HTMLElement;
    expect(failure.textContent).toContain('docker build exited with 1');
    expect(failure.querySelector('pre')!.textContent).toContain('line 30');
    expect(failure.querySelector('pre')!.textContent).not.toContain('line 18\n');
    // It got as far as building: that stage failed, deploying never happened.
    expect(stages(el)).toEqual(['pending:done', 'building:failed', 'deploying:todo', 'failed:failed']);
  });

  it("shows CI's own message beside the success line, and not twice while they are the same", async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/deployments/7').flush({
      ...deploymentPayload({ sequence: 2, status: 'building', progress: 30, message: 'Test deployment', ci_message: 'Test deployment' }),
      all_logs: [],
      events: [],
    });
    await settle(fixture);
    expect(text(el, '[data-testid=deployment-message]')).toBe('Test deployment');
    expect(el.querySelector('[data-testid=ci-message]')).toBeNull();

    ws.events.next(
      deploymentPayload({ sequence: 3, status: 'success', progress: 100, message: "Module 'products' deployed successfully! 🎉", ci_message: 'Test deployment' }),
    );
    await settle(fixture);
    expect(text(el, '[data-testid=deployment-message]')).toBe("Module 'products' deployed successfully! 🎉");
    expect(text(el, '[data-testid=ci-message]')).toBe('CI said Test deployment');
  });

  it('says so when the deployment cannot be loaded, and retries', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/admin/deployments/7').flush({ error: 'not_found', message: 'no deployment 7 that you can see' }, { status: 404, statusText: 'Not Found' });
    await settle(fixture);
    expect(el.querySelector('[role=alert]')!.textContent).toContain('no deployment 7 that you can see');
    (el.querySelector('[role=alert] button') as HTMLButtonElement).click();
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload(), all_logs: [], events: [] });
    await settle(fixture);
    expect(el.querySelector('[data-testid=deployment-status]')).not.toBeNull();
  });

  it('keeps following after close: the service holds the state, a reopened dialog shows it', async () => {
    const first = open();
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload(), all_logs: [], events: [] });
    await settle(first);
    first.destroy();
    ws.events.next(deploymentPayload({ sequence: 2, status: 'building', progress: 30, logs: ['while closed'] }));
    expect(TestBed.inject(DeploymentService).get('7')()?.status).toBe('building');
    const again = TestBed.createComponent(DeploymentStatusComponent);
    again.detectChanges();
    expect(text(again.nativeElement, '[data-testid=deployment-status]')).toContain('Building');
    expect(text(again.nativeElement, '[data-testid=deployment-log]')).toContain('while closed');
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload({ sequence: 2, status: 'building' }), all_logs: ['while closed'], events: [] });
  });

  it('a partly failed deployment speaks for the application that failed: reason, stage, log; no success text, no live link', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    const line = "Module 'products' deployed successfully! 🎉";
    const target = (application_id: string, over: object) => ({ ...deploymentPayload().targets[0]!, application_id, progress: 100, ...over });
    http.expectOne('/api/admin/deployments/7').flush({
      ...deploymentPayload({
        sequence: 6,
        status: 'failed',
        progress: 100,
        created_at: '2026-01-01T09:59:50Z',
        started_at: '2026-01-01T10:00:00Z',
        finished_at: '2026-01-01T10:00:30Z',
        // What an older server said (issue 12, item 2): the page must not repeat it.
        message: line,
        ci_message: line,
        url: 'http://products.localhost',
        targets: [
          target('backend', { status: 'failed', commit_sha: 'aaaaaaa111', message: 'Build failed: npm test exited 1', finished_at: '2026-01-01T10:00:20Z' }),
          target('frontend', { status: 'success', commit_sha: 'bbbbbbb222', message: line, url: 'http://products.localhost', finished_at: '2026-01-01T10:00:30Z' }),
        ],
      }),
      all_logs: ['be: npm ci', 'fe: render', 'be: relation to ghost', 'fe: deployed'],
      events: [
        { sequence: 2, application_id: 'backend', status: 'building', message: null, logs: ['be: npm ci'], created_at: '2026-01-01T10:00:01Z' },
        { sequence: 3, application_id: 'frontend', status: 'deploying', message: null, logs: ['fe: render'], created_at: '2026-01-01T10:00:02Z' },
        { sequence: 4, application_id: 'backend', status: 'failed', message: 'Build failed: npm test exited 1', logs: ['be: relation to ghost'], created_at: '2026-01-01T10:00:20Z' },
        { sequence: 5, application_id: 'frontend', status: 'success', message: line, logs: ['fe: deployed'], created_at: '2026-01-01T10:00:30Z' },
      ],
    });
    await settle(fixture);
    expect(text(el, '[data-testid=deployment-message]')).toBe('backend: Build failed: npm test exited 1');
    expect(el.querySelector('[data-testid=ci-message]')).toBeNull();
    expect(text(el, '[data-testid=failure-reason]')).toBe('backend: Build failed: npm test exited 1');
    expect(text(el, '.failure pre.tail')).toBe('be: npm ci\nbe: relation to ghost');
    // The backend stopped while building, though the frontend got to deploying.
    expect(stages(el)).toEqual(['pending:done', 'building:failed', 'deploying:todo', 'failed:failed']);
    expect(el.querySelector('[data-testid=live-url]')).toBeNull();
    expect([...el.querySelectorAll('a')].filter((a) => a.textContent?.trim() === 'live')).toEqual([]);
    expect(text(el, '[data-commit-of=backend]')).toContain('aaaaaaa');
    expect(text(el, '[data-commit-of=frontend]')).toContain('bbbbbbb');
    expect(text(el, '[data-testid=deployment-elapsed]')).toBe('0:40'); // from creation: the publish counts
    (el.querySelector('[data-log-app=frontend] button') as HTMLButtonElement).click();
    await settle(fixture);
    expect([...el.querySelectorAll('.log .line')].map((l) => l.textContent)).toEqual(['fe: render', 'fe: deployed']);
    (el.querySelector('.log-filter mat-button-toggle button') as HTMLButtonElement).click();
    await settle(fixture);
    expect([...el.querySelectorAll('.log .line')]).toHaveLength(4);
    http.verify();
  });
});
