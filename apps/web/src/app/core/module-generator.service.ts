import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { ApplicationFiles, FieldType, ModuleInput } from '@slipway/contracts';
import { firstValueFrom } from 'rxjs';
import type { DeploymentView } from './deployment-status';

export type { ApplicationFiles, ModuleInput };

/** A configured deploy target (`GET /api/admin/applications`). */
export interface ApplicationView {
  id: string;
  name: string;
  base_branch: string;
  template_pack: string;
}

export interface ModuleFieldView {
  name: string;
  label?: string;
  type: FieldType;
  required: boolean;
  unique: boolean;
  default: unknown;
  options?: string[];
  relation?: string;
}

/** A module as the API returns it. */
export interface ModuleView {
  slug: string;
  name: string;
  description: string;
  fields: ModuleFieldView[];
  applications: string[];
  git: { enabled: boolean; create_branch: boolean; branch_name: string; base_branch: string };
  owner_id: number | null;
  created_at: string;
  updated_at: string;
  latest_deployment: DeploymentView | null;
}

/** The spec's GenerateModuleResponse: what creating (or updating) a module gives back. */
export interface GenerateModuleResponse {
  module: ModuleView;
  /** The deployment started by pushing the branch; null when git publishing is off. */
  deployment: DeploymentView | null;
  files: ApplicationFiles[];
  branches: { application: string; branch: string; commit: string }[];
}

/** The modules API: CRUD, preview of the generated files, and the applications they can target. */
@Injectable({ providedIn: 'root' })
export class ModuleGeneratorService {
  private readonly http = inject(HttpClient);

  applications(): Promise<ApplicationView[]> {
    return firstValueFrom(this.http.get<{ data: ApplicationView[] }>('/api/admin/applications')).then((r) => r.data);
  }

  list(): Promise<ModuleView[]> {
    return firstValueFrom(this.http.get<{ data: ModuleView[] }>('/api/admin/modules')).then((r) => r.data);
  }

  get(slug: string): Promise<ModuleView> {
    return firstValueFrom(this.http.get<ModuleView>(`/api/admin/modules/${encodeURIComponent(slug)}`));
  }

  create(input: ModuleInput): Promise<GenerateModuleResponse> {
    return firstValueFrom(this.http.post<GenerateModuleResponse>('/api/admin/modules', input));
  }

  update(slug: string, input: ModuleInput): Promise<GenerateModuleResponse> {
    return firstValueFrom(this.http.put<GenerateModuleResponse>(`/api/admin/modules/${encodeURIComponent(slug)}`, input));
  }

  remove(slug: string): Promise<void> {
    return firstValueFrom(this.http.delete<void>(`/api/admin/modules/${encodeURIComponent(slug)}`));
  }

  preview(input: ModuleInput): Promise<ApplicationFiles[]> {
    return firstValueFrom(this.http.post<{ files: ApplicationFiles[] }>('/api/admin/modules/preview', input)).then((r) => r.files);
  }
}
