import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { ModuleGeneratorService } from '../../../../core/module-generator.service';
import { ConfirmDeleteComponent, type ConfirmDeleteData, type ConfirmDeleteResult } from './confirm-delete.component';

/** Issue 12, item 5: deleting asks, in the page, whether the module's branches go too. */
describe('ConfirmDeleteComponent', () => {
  function setUp() {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
    });
    return TestBed.inject(MatDialog);
  }
  const overlay = () => document.querySelector('.cdk-overlay-container') as HTMLElement;
  const settle = () => new Promise((r) => setTimeout(r));
  afterEach(() => TestBed.inject(MatDialog).closeAll());

  async function ask(data: ConfirmDeleteData, tick: boolean): Promise<ConfirmDeleteResult | false | undefined> {
    const ref = setUp().open<ConfirmDeleteComponent, ConfirmDeleteData, ConfirmDeleteResult | false>(ConfirmDeleteComponent, { data });
    const closed = firstValueFrom(ref.afterClosed());
    await settle();
    if (tick) (overlay().querySelector('[data-testid=delete-branches] input') as HTMLInputElement).click();
    await settle();
    (overlay().querySelector('[data-testid=confirm-delete]') as HTMLButtonElement).click();
    return closed;
  }

  it('offers the branch and answers deleteBranches: true when ticked', async () => {
    const answer = await ask({ name: 'Orders', slug: 'orders', branch: { name: 'module/orders', applications: ['backend', 'frontend'] } }, true);
    expect(answer).toEqual({ deleteBranches: true });
  });

  it('keeps the branches unless asked', async () => {
    const answer = await ask({ name: 'Orders', slug: 'orders', branch: { name: 'module/orders', applications: ['backend'] } }, false);
    expect(answer).toEqual({ deleteBranches: false });
  });

  it('names the branches that exist now, per application, and says they will be deleted once ticked (issue 13, item 6)', async () => {
    const dialog = setUp();
    dialog.open(ConfirmDeleteComponent, { data: { name: 'Orders', slug: 'orders', branch: { name: 'module/orders', applications: ['backend', 'frontend'] } } });
    await settle();
    const http = TestBed.inject(HttpTestingController);
    const req = http.expectOne('/api/admin/modules/orders/branches');
    expect(req.request.method).toBe('GET');
    // Only the backend still has it (the frontend's was deleted by hand).
    req.flush({ branches: [{ application: 'backend', branch: 'module/orders', commit: 'abcdef0123456789' }] });
    await settle();
    TestBed.tick();
    const list = overlay().querySelector('[data-testid=delete-branch-list]') as HTMLElement;
    expect(list.querySelectorAll('li').length).toBe(1);
    expect(list.querySelector('[data-application=backend]')!.textContent).toMatch(/backend: module\/orders\s+at abcdef0/);
    expect(overlay().textContent).toContain('kept unless ticked');
    (overlay().querySelector('[data-testid=delete-branches] input') as HTMLInputElement).click();
    await settle();
    TestBed.tick();
    expect(overlay().textContent).toContain('These branches will be deleted:');
    http.verify();
  });

  it('says when no branch exists, and when the branches cannot be listed', async () => {
    const dialog = setUp();
    const http = TestBed.inject(HttpTestingController);
    dialog.open(ConfirmDeleteComponent, { data: { name: 'Orders', slug: 'orders', branch: { name: 'module/orders', applications: ['backend'] } } });
    await settle();
    http.expectOne('/api/admin/modules/orders/branches').flush({ branches: [] });
    await settle();
    TestBed.tick();
    expect(overlay().querySelector('[data-testid=delete-branch-list]')!.textContent).toContain('No branch of this module exists now');
    dialog.closeAll();
    await settle();
    dialog.open(ConfirmDeleteComponent, { data: { name: 'Orders', slug: 'orders', branch: { name: 'module/orders', applications: ['backend'] } } });
    await settle();
    http.expectOne('/api/admin/modules/orders/branches').flush({ error: 'git_error', message: 'backend: repository unreachable' }, { status: 502, statusText: 'Bad Gateway' });
    await settle();
    TestBed.tick();
    expect(overlay().querySelector('[data-testid=delete-branches-problem]')!.textContent).toContain('backend: repository unreachable');
  });

  it('offers no branch for a module without git', async () => {
    setUp().open(ConfirmDeleteComponent, { data: { name: 'Notes', slug: 'notes' } });
    await settle();
    expect(overlay().querySelector('[data-testid=delete-branches]')).toBeNull();
    expect(overlay().textContent).toContain('services it runs');
  });

  it('sends ?deleteBranches=true only when asked', async () => {
    setUp();
    const api = TestBed.inject(ModuleGeneratorService);
    const http = TestBed.inject(HttpTestingController);
    const withBranches = api.remove('orders', { deleteBranches: true });
    const req = http.expectOne('/api/admin/modules/orders?deleteBranches=true');
    expect(req.request.method).toBe('DELETE');
    const gone = [{ application: 'backend', branch: 'module/orders', commit: 'abcdef0123456789' }];
    req.flush({ deletedBranches: gone });
    expect(await withBranches).toEqual(gone);
    const plain = api.remove('notes');
    http.expectOne('/api/admin/modules/notes').flush(null, { status: 204, statusText: 'No Content' });
    expect(await plain).toEqual([]);
    http.verify();
  });
});
