import { describe, expect, it } from 'vitest';
import { classifyStderr, parsePushPorcelain, pushError } from './classify.ts';

describe('classifyStderr', () => {
  it.each([
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 'auth_failed'],
    ["remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/a/b.git/'", 'auth_failed'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 403", 'auth_failed'],
    ['git@github.com: Permission denied (publickey).', 'auth_failed'],
    ['remote: HTTP Basic: Access denied', 'auth_failed'],
    ["remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' not found", 'repo_not_found'],
    ["fatal: '/srv/x.git' does not appear to be a git repository", 'repo_not_found'],
    ['remote: The project you were looking for could not be found', 'repo_not_found'],
    ["fatal: unable to access 'https://x/': Could not resolve host: x", 'git_failed'],
  ])('%s → %s', (stderr, code) => expect(classifyStderr(stderr)).toBe(code));
});

describe('push results', () => {
  const ref = 'refs/heads/module/products';
  it('parses porcelain lines', () => {
    const out = `To /srv/r.git\n!\tabc:${ref}\t[rejected] (stale info)\n*\tdef:refs/heads/module/x\t[new branch]\nDone\n`;
    expect(parsePushPorcelain(out)).toEqual([
      { flag: '!', ref, summary: '[rejected]', reason: 'stale info' },
      { flag: '*', ref: 'refs/heads/module/x', summary: '[new branch]', reason: undefined },
    ]);
  });

  it('classifies lease loss, protection, hook refusals', () => {
    expect(pushError('module/products', `!\tabc:${ref}\t[rejected] (stale info)\n`, '').code).toBe('concurrent_update');
    expect(pushError('module/products', `!\tabc:${ref}\t[remote rejected] (failed to update ref)\n`, '').code).toBe('concurrent_update');
    const gh = pushError('module/products', `!\tabc:${ref}\t[remote rejected] (protected branch hook declined)\n`, 'remote: error: GH006: Protected branch update failed for refs/heads/module/products.');
    expect(gh.code).toBe('branch_protected');
    const gl = pushError('module/products', `!\tabc:${ref}\t[remote rejected] (pre-receive hook declined)\n`, 'remote: GitLab: You are not allowed to push code to protected branches on this project.');
    expect(gl.code).toBe('branch_protected');
    const hook = pushError('module/products', `!\tabc:${ref}\t[remote rejected] (pre-receive hook declined)\n`, 'remote: lint failed: missing tests        \nerror: failed to push some refs');
    expect(hook.code).toBe('push_rejected');
    expect(hook.message).toBe('the remote rejected the push of module/products: pre-receive hook declined: lint failed: missing tests');
    expect(pushError('module/products', '', "fatal: Authentication failed for 'https://x/'").code).toBe('auth_failed');
    expect(pushError('module/products', '', 'fatal: the remote end hung up unexpectedly').code).toBe('git_failed');
  });
});
