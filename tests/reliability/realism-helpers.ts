import { AllocateAddressCommand, CreateSubnetCommand, CreateVpcCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../shared/aws/clients';
import { installRealism, type RealismHandle, type RealismOptions } from '../../local/realism';

/** A clock the test moves by hand, so nothing waits on the wall clock for what the simulated clock can do. */
export function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/**
 * Install the realism layer before each test of the file and remove it after, with the options each test gets
 * from `configure` (default: the given options).
 *
 * @example const layer = useRealism({ profile: 'realistic', overrides: { throttling: false } }); ... layer.handle.events
 */
export function useRealism(options: RealismOptions) {
  let handle: RealismHandle | undefined;
  const state = {
    /** (Re)install with these options for the current test. */
    install(overrides: Partial<RealismOptions> = {}): RealismHandle {
      handle?.uninstall();
      handle = installRealism({ ...options, ...overrides });
      return handle;
    },
    get handle(): RealismHandle {
      return handle!;
    },
  };
  beforeEach(() => state.install());
  afterEach(() => {
    handle?.uninstall();
    handle = undefined;
  });
  return state;
}

/** The EC2 client the steps would use (built by shared/aws/clients.ts, so the layer is on it). */
export const ec2 = (): EC2Client => ec2Client({ region: 'us-west-2' });

/** A VPC with one subnet and an Elastic IP: what a NAT gateway needs. */
export async function natPrerequisites(cidr = '10.1.0.0/16'): Promise<{ vpcId: string; subnetId: string; allocationId: string }> {
  const vpc = await ec2().send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnet = await ec2().send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr.replace(/\.0\.0\/16$/, '.0.0/24'), AvailabilityZone: 'us-west-2a' }));
  const eip = await ec2().send(new AllocateAddressCommand({ Domain: 'vpc' }));
  return { vpcId, subnetId: subnet.Subnet!.SubnetId!, allocationId: eip.AllocationId! };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number; attempts?: number }; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
