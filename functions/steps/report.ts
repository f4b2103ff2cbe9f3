import { stepHandler } from '../../shared/lambda';
import { buildOutputs } from '../../shared/report';
import type { ProvisioningState } from '../../shared/state';

/** Report: the outputs (V11, R4) become the execution's output. */
export const handler = stepHandler('Report', async (state: ProvisioningState) => buildOutputs(state));
