import type { Routes } from '@angular/router';
import { authGuard } from './core/auth.guard';

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'modules' },
  {
    path: 'sign-in',
    title: 'Sign in · Slipway',
    loadComponent: () => import('./features/auth/sign-in.page').then((m) => m.SignInPage),
  },
  {
    path: '',
    canActivate: [authGuard],
    children: [
      {
        path: 'modules',
        title: 'Modules · Slipway',
        loadComponent: () =>
          import('./features/module-managers/pages/module-managers/module-managers-page.component').then((m) => m.ModuleManagersPageComponent),
      },
      {
        path: 'modules/new',
        title: 'New module · Slipway',
        loadComponent: () =>
          import('./features/module-managers/pages/module-managers/module-manager-create-update-page.component').then(
            (m) => m.ModuleManagerCreateUpdatePageComponent,
          ),
      },
      {
        path: 'modules/:slug/edit',
        title: 'Edit module · Slipway',
        loadComponent: () =>
          import('./features/module-managers/pages/module-managers/module-manager-create-update-page.component').then(
            (m) => m.ModuleManagerCreateUpdatePageComponent,
          ),
      },
      {
        path: 'deployments',
        title: 'Deployments · Slipway',
        loadComponent: () => import('./features/deployments/deployments.page').then((m) => m.DeploymentsPage),
      },
      {
        path: 'previews',
        title: 'Previews · Slipway',
        loadComponent: () => import('./features/previews/previews.page').then((m) => m.PreviewsPage),
      },
      {
        path: 'account/notifications',
        title: 'Notifications · Slipway',
        loadComponent: () => import('./features/notifications/notifications.page').then((m) => m.NotificationsPage),
      },
      {
        path: 'account/tokens',
        title: 'Access tokens · Slipway',
        loadComponent: () => import('./features/account/tokens.page').then((m) => m.TokensPage),
      },
    ],
  },
  { path: '**', redirectTo: 'modules' },
];
