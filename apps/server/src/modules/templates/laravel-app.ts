import { existsSync } from 'node:fs';

/**
 * Test support: the smallest Laravel application around Debian's `php-laravel-framework` (8.83; no
 * composer registry is reachable here), so the laravel pack's output runs in its real framework.
 * What a `laravel new` project has and the generated files need: HTTP and console kernels, a route
 * provider mounting routes/api.php under /api with the `api` middleware group, the base controller,
 * SQLite with foreign keys enforced, `artisan` and `public/index.php`. Its routes/api.php holds the
 * one line the pack asks for (see the generated route files).
 */

/** Debian's autoloader for Laravel and its dependencies. */
export const DEBIAN_LARAVEL_AUTOLOAD = '/usr/share/php/Illuminate/autoload.php';

export function hasDebianLaravel(): boolean {
  return existsSync(DEBIAN_LARAVEL_AUTOLOAD);
}

export function laravelSkeleton(): Record<string, string> {
  return {
    'bootstrap/app.php': `<?php

require_once '${DEBIAN_LARAVEL_AUTOLOAD}';

// composer's PSR-4 rule for App\\\\, without composer.
spl_autoload_register(function (string $class): void {
    if (str_starts_with($class, 'App\\\\')) {
        $file = dirname(__DIR__).'/app/'.str_replace('\\\\', '/', substr($class, 4)).'.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

$app = new Illuminate\\Foundation\\Application(dirname(__DIR__));
$app->singleton(Illuminate\\Contracts\\Http\\Kernel::class, App\\Http\\Kernel::class);
$app->singleton(Illuminate\\Contracts\\Console\\Kernel::class, Illuminate\\Foundation\\Console\\Kernel::class);
$app->singleton(Illuminate\\Contracts\\Debug\\ExceptionHandler::class, Illuminate\\Foundation\\Exceptions\\Handler::class);

return $app;
`,
    artisan: `#!/usr/bin/env php
<?php

$app = require __DIR__.'/bootstrap/app.php';
$kernel = $app->make(Illuminate\\Contracts\\Console\\Kernel::class);
$status = $kernel->handle($input = new Symfony\\Component\\Console\\Input\\ArgvInput(), new Symfony\\Component\\Console\\Output\\ConsoleOutput());
$kernel->terminate($input, $status);
exit($status);
`,
    'public/index.php': `<?php

$app = require __DIR__.'/../bootstrap/app.php';
$kernel = $app->make(Illuminate\\Contracts\\Http\\Kernel::class);
$response = $kernel->handle($request = Illuminate\\Http\\Request::capture())->send();
$kernel->terminate($request, $response);
`,
    'app/Http/Kernel.php': `<?php

namespace App\\Http;

use Illuminate\\Foundation\\Http\\Kernel as HttpKernel;

class Kernel extends HttpKernel
{
    protected $middleware = [
        \\Illuminate\\Foundation\\Http\\Middleware\\ValidatePostSize::class,
        \\Illuminate\\Foundation\\Http\\Middleware\\TrimStrings::class,
        \\Illuminate\\Foundation\\Http\\Middleware\\ConvertEmptyStringsToNull::class,
    ];

    protected $middlewareGroups = [
        'api' => [\\Illuminate\\Routing\\Middleware\\SubstituteBindings::class],
    ];
}
`,
    'app/Http/Controllers/Controller.php': `<?php

namespace App\\Http\\Controllers;

use Illuminate\\Foundation\\Auth\\Access\\AuthorizesRequests;
use Illuminate\\Foundation\\Bus\\DispatchesJobs;
use Illuminate\\Foundation\\Validation\\ValidatesRequests;
use Illuminate\\Routing\\Controller as BaseController;

class Controller extends BaseController
{
    use AuthorizesRequests, DispatchesJobs, ValidatesRequests;
}
`,
    'app/Providers/RouteServiceProvider.php': `<?php

namespace App\\Providers;

use Illuminate\\Foundation\\Support\\Providers\\RouteServiceProvider as ServiceProvider;
use Illuminate\\Support\\Facades\\Route;

class RouteServiceProvider extends ServiceProvider
{
    public function boot()
    {
        $this->routes(function () {
            Route::prefix('api')->middleware('api')->group(base_path('routes/api.php'));
        });
    }
}
`,
    'routes/api.php': `<?php

// The line the laravel pack's route files ask for.
foreach (glob(__DIR__.'/modules/*.php') as $file) { require $file; }
`,
    'config/app.php': `<?php

return [
    'name' => 'Slipway stack test',
    'env' => 'testing',
    'debug' => true,
    'url' => 'http://localhost',
    'timezone' => 'UTC',
    'locale' => 'en',
    'fallback_locale' => 'en',
    'key' => 'base64:'.base64_encode(str_repeat('k', 32)),
    'cipher' => 'AES-256-CBC',
    'providers' => [
        Illuminate\\Bus\\BusServiceProvider::class,
        Illuminate\\Cache\\CacheServiceProvider::class,
        Illuminate\\Foundation\\Providers\\ConsoleSupportServiceProvider::class,
        Illuminate\\Database\\DatabaseServiceProvider::class,
        Illuminate\\Filesystem\\FilesystemServiceProvider::class,
        Illuminate\\Foundation\\Providers\\FoundationServiceProvider::class,
        Illuminate\\Pipeline\\PipelineServiceProvider::class,
        Illuminate\\Queue\\QueueServiceProvider::class,
        Illuminate\\Translation\\TranslationServiceProvider::class,
        Illuminate\\Validation\\ValidationServiceProvider::class,
        Illuminate\\View\\ViewServiceProvider::class,
        App\\Providers\\RouteServiceProvider::class,
    ],
    'aliases' => [],
];
`,
    'config/database.php': `<?php

return [
    'default' => 'sqlite',
    'connections' => [
        'sqlite' => [
            'driver' => 'sqlite',
            'database' => database_path('database.sqlite'),
            'prefix' => '',
            'foreign_key_constraints' => true,
        ],
    ],
    'migrations' => 'migrations',
];
`,
    'config/cache.php': `<?php

return ['default' => 'array', 'stores' => ['array' => ['driver' => 'array']], 'prefix' => 'stack'];
`,
    'config/queue.php': `<?php

return ['default' => 'sync', 'connections' => ['sync' => ['driver' => 'sync']]];
`,
    'config/view.php': `<?php

return ['paths' => [resource_path('views')], 'compiled' => storage_path('framework/views')];
`,
    'config/logging.php': `<?php

return ['default' => 'stderr', 'channels' => ['stderr' => ['driver' => 'single', 'path' => 'php://stderr', 'level' => 'debug']]];
`,
    'database/database.sqlite': '',
    'resources/views/.gitkeep': '',
    'storage/framework/views/.gitkeep': '',
    'storage/framework/cache/.gitkeep': '',
    'storage/logs/.gitkeep': '',
    'bootstrap/cache/.gitkeep': '',
  };
}
