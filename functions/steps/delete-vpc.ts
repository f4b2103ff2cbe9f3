import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteVpc } from '../../shared/network/vpc';
import type { ProvisioningState } from '../../shared/state';

/** DeleteVpc: undo of CreateVpc, by ID from the state and by tag. */
export const handler = stepHandler('DeleteVpc', (state: Pick<ProvisioningState, 'config' | 'vpc'>) =>
  deleteVpc(state.config, state.vpc?.vpcId, { ec2: ec2Client(targetOf(state.config)) }),
);
