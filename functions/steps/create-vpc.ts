import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createVpc } from '../../shared/network/vpc';
import type { ProvisioningState } from '../../shared/state';

/** CreateVpc (V2, V5, V8) -> `$.vpc`. */
export const handler = stepHandler('CreateVpc', (state: ProvisioningState) => createVpc(state.config, { ec2: ec2Client(targetOf(state.config)) }));
