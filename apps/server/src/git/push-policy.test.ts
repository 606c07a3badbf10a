import { describe, expect, it } from 'vitest';
import { mayAccess, moduleSlugsOf, refusalOf, refusalsOf, repoRole, type PushContext } from './push-policy.ts';
import type { RefUpdate } from './push-events.ts';

/** Who may move which ref of a hosted repository: the rules the git routes apply before git runs. */

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);
const move = (ref: string): RefUpdate => ({ ref, before: A, after: B });
const create = (ref: string): RefUpdate => ({ ref, before: Z, after: B });
const remove = (ref: string): RefUpdate => ({ ref, before: A, after: Z });

const DEPLOYER_ID = 7;
const ctx = (role: PushContext['role'], owners: Record<string, number> = {}): PushContext => ({
  role,
  userId: DEPLOYER_ID,
  baseBranch: 'main',
  modulePrefix: 'module/',
  moduleOwners: new Map(Object.entries(owners)),
});

describe('repoRole', () => {
  const rules = { baseBranch: 'main', deployers: ['dee@example.com'] };
  it('admins everywhere; deployers where named (email in any case); members nowhere', () => {
    expect(repoRole({ role: 'admin', email: 'root@example.com' }, undefined)).toBe('admin');
    expect(repoRole({ role: 'member', email: 'Dee@Example.com' }, rules)).toBe('deployer');
    expect(repoRole({ role: 'member', email: 'mem@example.com' }, rules)).toBe('none');
    expect(repoRole({ role: 'member', email: 'dee@example.com' }, undefined)).toBe('none');
    expect(repoRole({ role: 'member', email: 'dee@example.com' }, { baseBranch: 'main' })).toBe('none');
  });
  it('a role is needed to fetch or push at all', () => {
    expect([mayAccess('admin'), mayAccess('deployer'), mayAccess('none')]).toEqual([true, true, false]);
  });
});

describe('refusalOf', () => {
  it('admins push anywhere, the base branch and tags included', () => {
    for (const u of [move('refs/heads/main'), move('refs/heads/module/orders'), create('refs/tags/v1'), remove('refs/heads/module/x')]) {
      expect(refusalOf(u, ctx('admin'))).toBeNull();
    }
  });

  it('nobody deletes the base branch', () => {
    expect(refusalOf(remove('refs/heads/main'), ctx('admin'))).toMatch(/base branch: it cannot be deleted/);
    expect(refusalOf(remove('refs/heads/main'), ctx('deployer'))).toMatch(/cannot be deleted/);
  });

  it('deployers: not the base branch, only branches', () => {
    expect(refusalOf(move('refs/heads/main'), ctx('deployer'))).toBe("'main' is the base branch: only admins may push to it");
    expect(refusalOf(create('refs/tags/v1'), ctx('deployer'))).toMatch(/deployers push branches only/);
    expect(refusalOf(move('refs/notes/commits'), ctx('deployer'))).toMatch(/branches only/);
    expect(refusalOf(create('refs/heads/feature/login'), ctx('deployer'))).toBeNull();
    expect(refusalOf(remove('refs/heads/feature/login'), ctx('deployer'))).toBeNull();
  });

  it("deployers: their own module's branch, never another user's, nor an unclaimed one under the prefix", () => {
    const owners = { mine: DEPLOYER_ID, orders: 99 };
    expect(refusalOf(move('refs/heads/module/mine'), ctx('deployer', owners))).toBeNull();
    expect(refusalOf(remove('refs/heads/module/mine'), ctx('deployer', owners))).toBeNull();
    expect(refusalOf(move('refs/heads/module/orders'), ctx('deployer', owners))).toMatch(/'module\/orders' is under 'module\/'.*no module 'orders' of yours/);
    expect(refusalOf(remove('refs/heads/module/orders'), ctx('deployer', owners))).toMatch(/of yours/);
    // A branch no module has yet would become the start of someone's future module.
    expect(refusalOf(create('refs/heads/module/payments'), ctx('deployer', owners))).toMatch(/of yours/);
    // Deeper names under the prefix belong to no module (and would block one: git cannot hold both).
    expect(refusalOf(create('refs/heads/module/mine/extra'), ctx('deployer', owners))).toMatch(/of yours/);
  });

  it('members (no role) push nothing', () => {
    expect(refusalOf(create('refs/heads/feature/x'), ctx('none'))).toMatch(/may not push/);
  });

  it('refusalsOf lists each refused update with its reason, and nothing for an allowed push', () => {
    const owners = { mine: DEPLOYER_ID };
    expect(refusalsOf([move('refs/heads/module/mine'), create('refs/heads/fix')], ctx('deployer', owners))).toEqual([]);
    expect(refusalsOf([move('refs/heads/module/mine'), move('refs/heads/main')], ctx('deployer', owners))).toEqual([
      { ref: 'refs/heads/main', reason: "'main' is the base branch: only admins may push to it" },
    ]);
  });

  it('moduleSlugsOf names the slugs whose owners decide, once each, for a configured prefix', () => {
    const updates = [move('refs/heads/slip-orders'), move('refs/heads/slip-orders'), move('refs/heads/main'), move('refs/tags/slip-x'), move('refs/heads/module/a')];
    expect(moduleSlugsOf(updates, 'slip-')).toEqual(['orders']);
    expect(refusalOf(move('refs/heads/slip-orders'), { ...ctx('deployer', { orders: DEPLOYER_ID }), modulePrefix: 'slip-' })).toBeNull();
    expect(refusalOf(move('refs/heads/slip-orders'), { ...ctx('deployer'), modulePrefix: 'slip-' })).toMatch(/of yours/);
  });
});
