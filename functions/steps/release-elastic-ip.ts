import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { releaseElasticIp } from '../../shared/network/nat-gateway';
import type { NetworkUndoState } from '../../shared/network/types';

/** ReleaseElasticIp: undo of the NAT gateway's address; DependencyViolationError until the gateway is `deleted`. */
export const handler = stepHandler('ReleaseElasticIp', (state: NetworkUndoState) =>
  releaseElasticIp(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
