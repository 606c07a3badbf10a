import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { deploymentPayload } from '../../../../../testing/deployments';
import { DeploymentStatusDialog } from '../../dialogs/deployment-status/deployment-status-dialog.service';
import { ModuleManagerCreateUpdatePageComponent } from './module-manager-create-update-page.component';
import { flushOrdersEditor } from '../../../../../testing/module-editor';

describe('ModuleManagerCreateUpdatePageComponent', () => {
  let http: HttpTestingController;
  // jsdom does not lay out, so it has no scrollIntoView; the tests that care replace this spy.
  beforeEach(() => {
    Element.prototype.scrollIntoView = vi.fn();
  });

  async function setup() {
    TestBed.configureTestingModule({
      imports: [ModuleManagerCreateUpdatePageComponent],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(ModuleManagerCreateUpdatePageComponent);
    fixture.detectChanges();
    http.expectOne('/api/admin/applications').flush({
      data: [
        { id: 'backend', name: 'Backend API', base_branch: 'main', template_pack: 'typescript-api' },
        { id: 'frontend', name: 'Frontend', base_branch: 'main', template_pack: 'angular' },
      ],
    });
    await settle(fixture);
    return fixture;
  }

  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    await new Promise((r) => setTimeout(r));
    f.detectChanges();
    await f.whenStable();
  };

  const type = (el: HTMLElement, sel: string, value: string) => {
    const input = el.querySelector(sel) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  };

  async function fillValid(fixture: Awaited<ReturnType<typeof setup>>) {
    const el = fixture.nativeElement as HTMLElement;
    type(el, '[data-testid=module-name]', 'Products');
    type(el, '[data-testid=field-name-0]', 'title');
    (el.querySelector('[data-testid=app-backend] input') as HTMLInputElement).click();
    await settle(fixture);
  }

  it('derives slug and branch name from the name, live, and says what the slug left out', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    type(el, '[data-testid=module-name]', 'Product Catégories');
    await settle(fixture);
    expect(el.querySelector('[data-testid=slug-preview]')!.textContent).toBe('product-categories');
    expect(el.querySelector('[data-testid=branch-name]')!.textContent).toBe('module/product-categories');
    expect(el.querySelector('[data-testid=slug-dropped]')).toBeNull();
    type(el, '[data-testid=module-name]', '123 products');
    await settle(fixture);
    expect(el.querySelector('[data-testid=slug-preview]')!.textContent).toBe('products');
    expect(el.querySelector('[data-testid=slug-dropped]')!.textContent).toContain('123');
  });

  it('refuses a name without a usable slug in the form, before asking the server', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    await fillValid(fixture);
    type(el, '[data-testid=module-name]', '!!!');
    await settle(fixture);
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    await settle(fixture);
    http.expectNone('/api/admin/modules');
    expect(el.querySelector('mat-form-field:has([data-testid=module-name]) mat-error')!.textContent).toContain('gives no usable slug');
    // A slug typed beside it makes it acceptable.
    type(el, '[data-testid=module-slug]', 'bangs');
    await settle(fixture);
    expect(el.querySelector('[data-testid=form-problem]')).toBeNull();
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    expect(http.expectOne('/api/admin/modules').request.body).toMatchObject({ name: '!!!', slug: 'bangs' });
  });

  it('opens an existing module as stored and saves it unchanged, base branch from its application', async () => {
    TestBed.configureTestingModule({
      imports: [ModuleManagerCreateUpdatePageComponent],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    vi.spyOn(TestBed.inject(DeploymentStatusDialog), 'open').mockReturnValue(undefined as never);
    const fixture = TestBed.createComponent(ModuleManagerCreateUpdatePageComponent);
    fixture.componentRef.setInput('slug', 'orders');
    fixture.detectChanges();
    flushOrdersEditor(http, 'develop');
    await settle(fixture);
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid=branch-name]')!.textContent).toBe('module/orders');
    expect(el.querySelector('[data-testid=base-branch]')!.textContent).toBe('develop');
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    await settle(fixture);
    const req = http.expectOne('/api/admin/modules/orders');
    expect(req.request.method).toBe('PUT');
    expect(req.request.body).toEqual({
      name: 'Orders',
      slug: 'orders',
      description: '',
      fields: [{ name: 'total', type: 'decimal', required: true, unique: false }],
      applications: ['backend'],
      git: { enabled: true, createBranch: true },
    });
  });

  it('shows the server field errors under the fields they name', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    await fillValid(fixture);
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    const req = http.expectOne('/api/admin/modules');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toMatchObject({ name: 'Products', applications: ['backend'], fields: [{ name: 'title', type: 'string' }], git: { enabled: true, createBranch: true } });
    const scrolled = vi.fn();
    Element.prototype.scrollIntoView = scrolled;
    req.flush(
      { error: 'invalid_input', message: 'invalid module', details: [{ field: 'fields.0.name', message: 'duplicates fields.1.name' }, { field: 'fields', message: 'too many' }] },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    await settle(fixture);
    expect(el.querySelector('[data-field="0"] mat-error')?.textContent).toContain('duplicates fields.1.name');
    expect(el.querySelector('[data-testid=form-problem]')!.textContent).toContain('too many');
    // The banner is brought into view: the person pressed a button at the bottom of the form.
    expect(scrolled.mock.contexts).toContain(el.querySelector('[data-testid=form-problem]'));
  });

  it('after creating, opens the deployment dialog of the new deployment', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    const open = vi.spyOn(TestBed.inject(DeploymentStatusDialog), 'open').mockReturnValue(undefined as never);
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate');
    await fillValid(fixture);
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    http.expectOne('/api/admin/modules').flush(
      { module: { slug: 'products' }, deployment: deploymentPayload({ deployment_id: '42' }), files: [], branches: [] },
      { status: 201, statusText: 'Created' },
    );
    await settle(fixture);
    expect(navigate).toHaveBeenCalledWith(['/modules']);
    expect(open).toHaveBeenCalledWith('42');
  });

  it('previews the generated files without saving', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    await fillValid(fixture);
    const scrolled = vi.fn();
    Element.prototype.scrollIntoView = scrolled;
    (el.querySelector('[data-testid=preview]') as HTMLButtonElement).click();
    http.expectOne('/api/admin/modules/preview').flush({
      files: [{ application: 'backend', pack: 'typescript-api', files: [{ path: 'src/modules/products/products.routes.ts', content: 'export {}' }] }],
    });
    await settle(fixture);
    expect(el.querySelector('[data-testid=preview-files]')!.textContent).toContain('src/modules/products/products.routes.ts');
    expect(el.querySelector('[data-testid=preview-files] h3')!.textContent).toContain('1 file');
    expect(el.querySelector('[data-testid=preview-files] h3')!.textContent).not.toContain('1 files');
    expect(scrolled.mock.contexts).toContain(el.querySelector('#preview'));
    http.verify();
  });

  it('reports a publishing failure (502) with the git error', async () => {
    const fixture = await setup();
    const el = fixture.nativeElement as HTMLElement;
    await fillValid(fixture);
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    http.expectOne('/api/admin/modules').flush({ error: 'push_rejected', message: 'remote refused the push' }, { status: 502, statusText: 'Bad Gateway' });
    await settle(fixture);
    expect(el.querySelector('[data-testid=form-problem]')!.textContent).toContain('push_rejected');
  });
});
