import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import type { Provider } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { MAT_DIALOG_DATA, MatDialogRef } from '@angular/material/dialog';
import { DeploymentStatusComponent } from '../app/features/module-managers/dialogs/deployment-status/deployment-status.component';

/**
 * Spec support: the deployment dialog opened on deployment 7 over the HTTP testing backend (a
 * dialog ref that only closes), with `providers` added; rendered once.
 */
export function openDeploymentStatus(providers: Provider[] = []): { fixture: ComponentFixture<DeploymentStatusComponent>; http: HttpTestingController } {
  TestBed.configureTestingModule({
    imports: [DeploymentStatusComponent],
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: MAT_DIALOG_DATA, useValue: { deploymentId: '7' } },
      { provide: MatDialogRef, useValue: { close: () => {} } },
      ...providers,
    ],
  });
  const http = TestBed.inject(HttpTestingController);
  const fixture = TestBed.createComponent(DeploymentStatusComponent);
  fixture.detectChanges();
  return { fixture, http };
}

/** Lets the HTTP answers' promise chains run, then renders; `rounds` times. */
export async function settle(f: { detectChanges(): void; whenStable(): Promise<unknown> }, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r));
    f.detectChanges();
    await f.whenStable();
  }
}
