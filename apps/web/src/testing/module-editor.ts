import type { HttpTestingController } from '@angular/common/http/testing';

/**
 * Spec support: answers what the module form loads to edit `orders` — the applications (one,
 * `backend`, on `baseBranch`) and the module itself, one decimal field, published on module/orders.
 */
export function flushOrdersEditor(http: HttpTestingController, baseBranch: string): void {
  http.expectOne('/api/admin/applications').flush({ data: [{ id: 'backend', name: 'Backend API', base_branch: baseBranch, template_pack: 'typescript-api', git: true }] });
  http.expectOne('/api/admin/modules/orders').flush({
    name: 'Orders',
    slug: 'orders',
    description: '',
    fields: [{ name: 'total', type: 'decimal', required: true, unique: false, default: null }],
    applications: ['backend'],
    git: { enabled: true, createBranch: true, branchName: 'module/orders', baseBranch },
    owner_id: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    latest_deployment: null,
  });
}
