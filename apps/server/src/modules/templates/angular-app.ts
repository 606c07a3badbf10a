import { moduleNames } from './render-context.ts';

/** The compiler options of an Angular 21 CLI project (a tsconfig.json's options, without its files). */
export const ANGULAR_CLI_TSCONFIG = {
  compilerOptions: {
    strict: true,
    noImplicitOverride: true,
    noPropertyAccessFromIndexSignature: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    skipLibCheck: true,
    isolatedModules: true,
    experimentalDecorators: true,
    target: 'ES2022',
    module: 'preserve',
    types: [] as string[],
  },
  angularCompilerOptions: { strictTemplates: true, strictInjectionParameters: true, strictInputAccessModifiers: true },
};

/**
 * Test support: the smallest Angular CLI application around the angular pack's feature folders,
 * built by the repository's Angular (`ng build` with `@angular/build:application`, installed for
 * apps/web) exactly as a generated project would be. Each module's lazy routes are mounted as the
 * pack's description says, with `provideHttpClient()`; the app is zoneless (Angular 21's default).
 */
export function angularShell(slugs: readonly string[]): Record<string, string> {
  const routes = slugs.map((slug) => {
    const n = moduleNames(slug);
    return `  { path: '${n.route}', loadChildren: () => import('./features/${n.route}/${n.route}.routes').then((m) => m.${n.plural.snake.toUpperCase()}_ROUTES) },`;
  });
  return {
    'package.json': JSON.stringify({ name: 'stack-test', private: true, type: 'module' }),
    'angular.json': JSON.stringify(
      {
        version: 1,
        cli: { analytics: false, cache: { enabled: false } },
        projects: {
          app: {
            projectType: 'application',
            root: '',
            sourceRoot: 'src',
            architect: {
              build: {
                builder: '@angular/build:application',
                options: {
                  browser: 'src/main.ts',
                  index: 'src/index.html',
                  tsConfig: 'tsconfig.json',
                  outputPath: 'dist',
                  optimization: false,
                  sourceMap: false,
                  outputHashing: 'none',
                },
              },
            },
          },
        },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify({ ...ANGULAR_CLI_TSCONFIG, files: ['src/main.ts'] }),
    'src/index.html': `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Stack test</title>
    <base href="/" />
  </head>
  <body>
    <app-root></app-root>
  </body>
</html>
`,
    // The mounting line of the pack's description, verbatim.
    'src/app/app.routes.ts': `import type { Routes } from '@angular/router';

export const routes: Routes = [
${routes.join('\n')}
];
`,
    'src/main.ts': `import { provideHttpClient } from '@angular/common/http';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideRouter, RouterOutlet } from '@angular/router';
import { routes } from './app/app.routes';

@Component({ selector: 'app-root', imports: [RouterOutlet], template: '<router-outlet />' })
class App {}

bootstrapApplication(App, {
  providers: [provideZonelessChangeDetection(), provideRouter(routes), provideHttpClient()],
}).catch((e: unknown) => console.error(e));
`,
  };
}
