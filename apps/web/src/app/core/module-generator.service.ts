import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type {
  ApplicationFiles,
  ApplicationView,
  BranchView,
  ConflictResolution,
  FileChange,
  FileConflict,
  GenerateModuleResponse,
  ListResponse,
  ModuleField,
  ModuleInput,
  ModulePreviewResponse,
  ModuleBranchesResponse,
  ModuleDeleteResponse,
  ModuleUpdatePreview,
  ModuleView,
} from '@slipway/contracts';
import { firstValueFrom } from 'rxjs';

/**
 * Every request and answer here is the contracts' type (packages/contracts/src/module.ts and
 * module-api.ts), the same the server builds them with: a field the server does not send is a
 * compile error here, not an empty form.
 */
export type { ApplicationFiles, ApplicationView, GenerateModuleResponse, ModuleInput, ModuleView };
export type { BranchView, ConflictResolution, FileChange, FileConflict, ModuleUpdatePreview };
export type ModuleFieldView = ModuleField;

/** The modules API: CRUD, preview of the generated files, and the applications they can target. */
@Injectable({ providedIn: 'root' })
export class ModuleGeneratorService {
  private readonly http = inject(HttpClient);

  applications(): Promise<ApplicationView[]> {
    return firstValueFrom(this.http.get<ListResponse<ApplicationView>>('/api/admin/applications')).then((r) => r.data);
  }

  list(): Promise<ModuleView[]> {
    return firstValueFrom(this.http.get<ListResponse<ModuleView>>('/api/admin/modules')).then((r) => r.data);
  }

  get(slug: string): Promise<ModuleView> {
    return firstValueFrom(this.http.get<ModuleView>(`/api/admin/modules/${encodeURIComponent(slug)}`));
  }

  create(input: ModuleInput): Promise<GenerateModuleResponse> {
    return firstValueFrom(this.http.post<GenerateModuleResponse>('/api/admin/modules', input));
  }

  /** With `onConflict`, what to do with files whose hand edits overlap the update; without, a conflict is a 409 listing them. */
  update(slug: string, input: ModuleInput, onConflict?: ConflictResolution): Promise<GenerateModuleResponse> {
    const body = onConflict ? { ...input, onConflict } : input;
    return firstValueFrom(this.http.put<GenerateModuleResponse>(`/api/admin/modules/${encodeURIComponent(slug)}`, body));
  }

  /** What saving `input` over the stored module would do to each branch, file by file, with diffs (nothing is saved). */
  updatePreview(slug: string, input: ModuleInput, onConflict?: ConflictResolution): Promise<ModuleUpdatePreview> {
    const body = onConflict ? { ...input, onConflict } : input;
    return firstValueFrom(this.http.post<ModuleUpdatePreview>(`/api/admin/modules/${encodeURIComponent(slug)}/preview`, body));
  }

  /** The module's branches that exist now: what a delete with deleteBranches deletes. */
  branches(slug: string): Promise<BranchView[]> {
    return firstValueFrom(this.http.get<ModuleBranchesResponse>(`/api/admin/modules/${encodeURIComponent(slug)}/branches`)).then((r) => r.branches);
  }

  /** Deletes the module (its services stop); with deleteBranches, its branch in every target repository too, answered. */
  async remove(slug: string, o: { deleteBranches?: boolean } = {}): Promise<BranchView[]> {
    const query = o.deleteBranches ? '?deleteBranches=true' : '';
    const r = await firstValueFrom(this.http.delete<ModuleDeleteResponse | null>(`/api/admin/modules/${encodeURIComponent(slug)}${query}`));
    return r?.deletedBranches ?? [];
  }

  preview(input: ModuleInput): Promise<ApplicationFiles[]> {
    return firstValueFrom(this.http.post<ModulePreviewResponse>('/api/admin/modules/preview', input)).then((r) => r.files);
  }
}
