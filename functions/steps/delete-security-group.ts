import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteSecurityGroup } from '../../shared/network/security-group';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteSecurityGroup: undo of CreateSecurityGroup; DependencyViolationError while the endpoint still uses it. */
export const handler = stepHandler('DeleteSecurityGroup', (state: NetworkUndoState) =>
  deleteSecurityGroup(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
