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
    req.flush({ deletedBranches: [] });
    await withBranches;
    const plain = api.remove('notes');
    http.expectOne('/api/admin/modules/notes').flush(null, { status: 204, statusText: 'No Content' });
    await plain;
    http.verify();
  });
});
