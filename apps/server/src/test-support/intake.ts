import pino from 'pino';
import type { DatabaseHandle } from '../db/database.ts';
import { TransactionBatcher } from '../db/transaction-batcher.ts';
import { DeploymentsService } from '../deployments/deployments.service.ts';
import { DeploymentsStore } from '../deployments/deployments.store.ts';
import { DeliveriesStore } from '../webhooks/deliveries.store.ts';
import { WebhookIntake } from '../webhooks/webhook-intake.service.ts';
import { TEST_SECRET } from './server.ts';

type IntakeDeps = ConstructorParameters<typeof WebhookIntake>[0];

/** A webhook intake on a test database, wired as context.ts wires it; `overrides` change a part. */
export function testIntake(h: Pick<DatabaseHandle, 'db' | 'traits'>, overrides: Partial<IntakeDeps> = {}): WebhookIntake {
  return new WebhookIntake({
    writes: new TransactionBatcher(h.db),
    traits: h.traits,
    deployments: new DeploymentsService(new DeploymentsStore(h.traits)),
    deliveries: new DeliveriesStore(),
    broadcaster: { publish: () => {} },
    secrets: () => [TEST_SECRET],
    toleranceSeconds: 600,
    awaitConfirmation: () => false,
    log: pino({ level: 'silent' }),
    ...overrides,
  });
}
