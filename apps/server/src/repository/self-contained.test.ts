import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../config/env.schema.ts';
import { readRealtimeConfig } from '../realtime/config.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');
const DOCS = ['README.md', ...readdirSync(resolve(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('the repository is self-contained', () => {
  it('its README and docs never point at files outside it', () => {
    const outside: string[] = [];
    for (const file of DOCS) {
      read(file).split('\n').forEach((line, i) => {
        if (/\bshared\/|TOOLCHAIN\.md|DESIGN\.md|STYLE\.md/.test(line)) outside.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(outside).toEqual([]);
  });

  it('every relative link of the README and docs leads to a file of the repository', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = resolve(ROOT, dirname(file), target!.split('#')[0]!);
        if (relative(ROOT, path).startsWith('..') || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('describes the contracts it keeps, and has an MIT licence', () => {
    const contracts = read('docs/contracts.md');
    for (const surface of ['/api/webhooks/dokploy/deployment', 'X-Webhook-Signature', '/api/admin/deployments/active', 'private-App.Models.User.{userId}', '.deployment.status-updated', '/broadcasting/auth', "Module '<slug>' deployed successfully! 🎉", 'module-products', 'BACKEND_DEPLOYMENT_WEBHOOK_URL', 'ORDER BY created_at DESC', 'PUSHER_SCHEME']) {
      expect(contracts).toContain(surface);
    }
    expect(read('README.md')).toContain('[docs/contracts.md](docs/contracts.md)');
    const licence = read('LICENSE');
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the Slipway authors\n/);
    expect(licence).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });
});

describe('.env.example', () => {
  /** `# NAME=value` lines: every variable is commented out, so loading the file as is changes nothing. */
  const example = new Map([...read('.env.example').matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, k, v]) => [k!, v!]));

  it('sets nothing as it is: every line is a comment or blank', () => {
    expect(read('.env.example').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([]);
  });

  it('names every variable of the environment schema, with its default', () => {
    const defaults = envSchema.parse({}) as Record<string, unknown>;
    const wrong: string[] = [];
    for (const name of Object.keys(envSchema.shape)) {
      const shown = example.get(name);
      const value = defaults[name];
      if (shown === undefined) wrong.push(`${name} is missing`);
      else if (value !== undefined && shown !== String(value)) wrong.push(`${name}=${shown}, but the default is ${String(value)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names every realtime variable, with its default', () => {
    const source = read('apps/server/src/realtime/config.ts');
    const names = [...new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map(([, n]) => n!))];
    expect(names).toContain('PUSHER_APP_KEY');
    const config = readRealtimeConfig({}) as unknown as Record<string, unknown>;
    const wrong: string[] = [];
    for (const name of names) if (!example.has(name)) wrong.push(`${name} is missing`);
    // `field: nonEmpty(env.NAME)` maps a variable to a config field: its default is what the field holds.
    for (const [, field, name] of source.matchAll(/(\w+): nonEmpty\(env\.([A-Z][A-Z0-9_]+)\)/g)) {
      const value = config[field!];
      if (value !== null && value !== undefined && example.get(name!) !== String(value)) wrong.push(`${name}=${example.get(name!)}, but the default is ${String(value)}`);
    }
    expect(wrong).toEqual([]);
  });
});
