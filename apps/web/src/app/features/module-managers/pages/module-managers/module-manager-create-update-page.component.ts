import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({ selector: 'app-module-manager-create-update-page', changeDetection: ChangeDetectionStrategy.OnPush, template: `<p>soon</p>` })
export class ModuleManagerCreateUpdatePageComponent {}
