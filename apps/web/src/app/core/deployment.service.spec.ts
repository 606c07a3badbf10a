import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { DeploymentService, type TrackedDeployment } from './deployment.service';
import { deploymentPayload } from '../../testing/deployments';
import { WebsocketService } from './websocket.service';

describe('DeploymentService', () => {
  let service: DeploymentService;
  let ws: WebsocketService;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    service = TestBed.inject(DeploymentService);
    ws = TestBed.inject(WebsocketService);
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  it('applies realtime events in sequence order and ignores older or repeated ones', () => {
    ws.events.next(deploymentPayload({ sequence: 2, status: 'building', progress: 30, logs: ['a'] }));
    ws.events.next(deploymentPayload({ sequence: 1, status: 'pending', progress: 0, logs: [] })); // late
    ws.events.next(deploymentPayload({ sequence: 2, status: 'pending', progress: 0 })); // duplicate sequence
    const d = service.get('7');
    expect(d()?.status).toBe('building');
    expect(d()?.sequence).toBe(2);

    ws.events.next(deploymentPayload({ sequence: 3, status: 'deploying', progress: 70, logs: ['a', 'b'] }));
    expect(d()?.status).toBe('deploying');
    expect(d()?.logs).toEqual(['a', 'b']);
  });

  it('takes a snapshot at the same sequence (more log lines) but not an older one', () => {
    service.apply(deploymentPayload({ sequence: 4, status: 'deploying', logs: ['x'] }), 'event');
    expect(service.apply({ ...deploymentPayload({ sequence: 4, status: 'deploying' }), all_logs: ['w', 'x'], events: [] }, 'snapshot')).toBe(true);
    // The full snapshot's log is the whole log up to its sequence: it replaces the tail seen so far.
    expect(service.get('7')()?.logs).toEqual(['w', 'x']);
    expect(service.apply(deploymentPayload({ sequence: 3, status: 'building' }), 'snapshot')).toBe(false);
    expect(service.get('7')()?.status).toBe('deploying');
  });

  it('announces a deployment that it saw running when it finishes, once', () => {
    const finished: TrackedDeployment[] = [];
    service.finished.subscribe((d) => finished.push(d));
    service.apply(deploymentPayload({ deployment_id: '9', sequence: 5, status: 'success' }), 'snapshot'); // already over: no news
    ws.events.next(deploymentPayload({ sequence: 1, status: 'building' }));
    ws.events.next(deploymentPayload({ sequence: 2, status: 'success', progress: 100 }));
    ws.events.next(deploymentPayload({ sequence: 3, status: 'success', progress: 100 }));
    expect(finished.map((d) => [d.deployment_id, d.status])).toEqual([['7', 'success']]);
  });

  it('loads active and recent deployments, newest first, with filters', async () => {
    const done = service.load({ status: 'failed', module: 'prod' });
    http.expectOne('/api/admin/deployments/active').flush({ data: [deploymentPayload({ deployment_id: '3', status: 'building' })] });
    const req = http.expectOne((r) => r.url === '/api/admin/deployments');
    expect(req.request.params.get('status')).toBe('failed');
    expect(req.request.params.get('module')).toBe('prod');
    req.flush({ data: [deploymentPayload({ deployment_id: '12', status: 'failed' })], meta: { page: 1, per_page: 50, total: 1 } });
    await done;
    expect(service.all().map((d) => d.deployment_id)).toEqual(['12', '3']);
    expect(service.active().map((d) => d.deployment_id)).toEqual(['3']);
  });

  it('says why when the server cannot be reached', async () => {
    const done = service.load().catch(() => 'failed');
    http.expectOne('/api/admin/deployments/active').error(new ProgressEvent('error'), { status: 0 });
    http.match(() => true).forEach((r) => r.flush({ data: [] }));
    expect(await done).toBe('failed');
    expect(service.problem()).toMatch(/Cannot reach the Slipway server/);
  });

  it('fetches a deployment in full when its events skip a sequence (the ones between were lost)', async () => {
    ws.events.next(deploymentPayload({ sequence: 2, status: 'building', logs: ['a'] }));
    ws.events.next(deploymentPayload({ sequence: 3, status: 'building', logs: ['a', 'b'] }));
    http.expectNone('/api/admin/deployments/7');
    ws.events.next(deploymentPayload({ sequence: 6, status: 'deploying', logs: ['e'] }));
    ws.events.next(deploymentPayload({ sequence: 8, status: 'deploying', logs: ['g'] })); // a fetch is under way already
    const req = http.expectOne('/api/admin/deployments/7');
    expect(service.get('7')()?.sequence).toBe(8);
    req.flush({ ...deploymentPayload({ sequence: 8, status: 'deploying' }), all_logs: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], events: [] });
    await new Promise((r) => setTimeout(r));
    expect(service.get('7')()?.logs).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    // A first sight of a deployment is no gap.
    ws.events.next(deploymentPayload({ deployment_id: '9', sequence: 5 }));
    http.expectNone('/api/admin/deployments/9');
  });

  it('coalesces resync hints that arrive during a refetch into one more refetch', async () => {
    ws.resync.next();
    ws.resync.next();
    ws.resync.next();
    http.expectOne('/api/admin/deployments/active').flush({ data: [] });
    await new Promise((r) => setTimeout(r));
    http.expectOne('/api/admin/deployments/active').flush({ data: [] });
    await new Promise((r) => setTimeout(r));
    http.expectNone('/api/admin/deployments/active');
  });

  it('refetches active and watched deployments when the socket comes back', async () => {
    service.watch('7');
    ws.resync.next();
    http.expectOne('/api/admin/deployments/active').flush({ data: [] });
    await Promise.resolve();
    await Promise.resolve();
    http.expectOne('/api/admin/deployments/7').flush({ ...deploymentPayload({ sequence: 6, status: 'failed', message: 'boom' }), all_logs: ['l1', 'l2'], events: [] });
    await new Promise((r) => setTimeout(r));
    expect(service.get('7')()?.status).toBe('failed');
    expect(service.get('7')()?.logs).toEqual(['l1', 'l2']);
  });
});
