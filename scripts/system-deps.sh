#!/usr/bin/env bash
# Installs the Debian packages the tests use when they are missing: real PostgreSQL and Redis
# servers, php-cli, php-laravel-framework, php-sqlite3 and php-doctrine-dbal (lint the Laravel template
# pack's output and run it in Laravel 8), git, curl and openssl (the spec's own test), bubblewrap (the runner's
# sandbox), and Chromium for the browser tests (driven by playwright-core; no browser is ever
# downloaded).
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
have redis-server || missing+=(redis-server)
have php || missing+=(php-cli)
# Laravel 8.83 and SQLite for PHP: the laravel pack's output runs in a real Laravel (laravel.stack.test.ts).
[ -e /usr/share/php/Illuminate/autoload.php ] || missing+=(php-laravel-framework)
{ have php && php -m 2>/dev/null | grep -x pdo_sqlite >/dev/null; } || missing+=(php-sqlite3)
# Laravel 8 renames and changes columns (alter migrations, laravel-alter.stack.test.ts) through doctrine/dbal.
[ -e /usr/share/php/Doctrine/DBAL/Connection.php ] || missing+=(php-doctrine-dbal)
have git || missing+=(git)
have curl || missing+=(curl)
have openssl || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The sandbox that pipelines and repository template packs run in (docs/security.md, Isolation);
# prlimit and setpriv come with util-linux.
[ -x /usr/bin/bwrap ] || missing+=(bubblewrap)
[ -x /usr/bin/prlimit ] && [ -x /usr/bin/setpriv ] || missing+=(util-linux)
# The success message's 🎉 in the browser tests' screenshots.
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
