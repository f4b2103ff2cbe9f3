import { targetOf, type ProvisioningConfig } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { preflightStep } from '../../shared/preflight';
import { preflightClients } from '../../shared/preflight/clients';

/** Preflight: permissions, quotas, names and addresses checked before anything is made; fails with every problem at once. */
export const handler = stepHandler('Preflight', (event: { config: ProvisioningConfig }) => {
  return preflightStep(event.config, preflightClients(targetOf(event.config)));
});
