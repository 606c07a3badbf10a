import { randomBytes } from 'node:crypto';
import type { AuthService } from './auth.service.ts';

/**
 * On a fresh database, the first admin: from SLIPWAY_ADMIN_EMAIL / SLIPWAY_ADMIN_PASSWORD, or
 * admin@localhost with a generated password printed once (it is stored only hashed).
 */
export async function ensureInitialAdmin(auth: AuthService, admin: { email?: string; password?: string }, print: (line: string) => void): Promise<void> {
  if ((await auth.countUsers()) > 0) return;
  const email = admin.email ?? 'admin@localhost';
  const password = admin.password ?? randomBytes(12).toString('base64url');
  await auth.addUser(email, password, 'admin');
  if (!admin.password) {
    print('');
    print('  First start: created the admin account');
    print(`    email:    ${email}`);
    print(`    password: ${password}`);
    print('  This password is shown once. Change it with `slipway user password`.');
    print('');
  }
}
