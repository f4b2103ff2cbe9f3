import { DescribeSubnetsCommand, DescribeVpcEndpointServicesCommand } from '@aws-sdk/client-ec2';
import { ec2Client, stsClient } from '../../../shared/aws/clients';
import type { ProvisioningConfig } from '../../../shared/config';
import { pickAvailabilityZones } from '../../../shared/network/availability-zones';
import { regionInfo } from '../../../shared/regions';
import { validateInput } from '../../../shared/validate-input';
import { installRealism, type RealismHandle } from '../../../local/realism';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { run, type State } from './network-helpers';

const SERVICE = regionInfo('us-west-2')!.endpointServiceName;
const ec2 = () => ec2Client({ region: 'us-west-2' });
const request = (provisioningId: string, network: Record<string, unknown> = {}) => ({
  provisioningId,
  projectName: 'demo',
  region: 'us-west-2',
  network,
  crossAccountRole: { externalId: TEST_EXTERNAL_ID },
});
const validate = (body: unknown) => validateInput({ request: body }, { sts: () => stsClient({ region: 'us-west-2' }), ec2: () => ec2() });

// moto's us-west-2: us-west-2a = usw2-az2, 2b = usw2-az1, 2c = usw2-az3, 2d = usw2-az4 (names and IDs sort apart).
describe('V3, V9: zones chosen by zone ID, where EKS runs and the Zilliz endpoint service is offered, against moto', () => {
  useMoto();

  describe('on moto as it is, which does not know the vendor\'s endpoint service (it answers InvalidServiceName, as AWS does to an account the vendor has not allowed)', () => {
    it('V3: takes the first three zones by zone ID, with their names, when no endpoint is asked for', async () => {
      await expect(pickAvailabilityZones(ec2(), 'us-west-2', undefined, { endpointServiceName: SERVICE })).resolves.toEqual([
        { zoneName: 'us-west-2b', zoneId: 'usw2-az1' },
        { zoneName: 'us-west-2a', zoneId: 'usw2-az2' },
        { zoneName: 'us-west-2c', zoneId: 'usw2-az3' },
      ]);
    });

    it('V3, V9: ValidateInput with an endpoint on a service the account cannot see narrows nothing, and keeps names and IDs in the config', async () => {
      const { config } = await validate(request('az-invisible', { vpcEndpoint: { enabled: true } }));
      expect([config.network.publicSubnet, ...config.network.privateSubnets].map((s) => s.availabilityZoneId)).toEqual(['usw2-az1', 'usw2-az1', 'usw2-az2', 'usw2-az3']);
    });

    it('V3: refuses a caller-given zone the region does not have, listing the usable ones with their IDs', async () => {
      await expect(pickAvailabilityZones(ec2(), 'us-west-2', ['us-west-2a', 'us-west-2b', 'us-west-2e'])).rejects.toMatchObject({
        name: 'InvalidInputError',
        problems: [{ field: 'network.availabilityZones.2', rule: '"us-west-2e" is not a zone of us-west-2; usable: us-west-2b (usw2-az1), us-west-2a (usw2-az2), us-west-2c (usw2-az3), us-west-2d (usw2-az4)' }],
      });
    });

    it('V3: refuses a region with fewer than three zones (moto\'s us-west-1 has two)', async () => {
      await expect(pickAvailabilityZones(ec2Client({ region: 'us-west-1' }), 'us-west-1')).rejects.toMatchObject({
        name: 'InvalidInputError',
        message: expect.stringContaining('needs three usable availability zones (V3), us-west-1 has'),
      });
    });

    it('V3: never picks us-east-1\'s use1-az3 (moto\'s us-east-1e), where EKS cannot place a cluster, and refuses it when asked for', async () => {
      const east = ec2Client({ region: 'us-east-1' });
      const picked = await pickAvailabilityZones(east, 'us-east-1');
      expect(picked.map((z) => z.zoneId)).toEqual(['use1-az1', 'use1-az2', 'use1-az4']);
      await expect(pickAvailabilityZones(east, 'us-east-1', ['us-east-1a', 'us-east-1b', 'us-east-1e'])).rejects.toMatchObject({
        name: 'InvalidInputError',
        problems: [{ field: 'network.availabilityZones.2', rule: expect.stringMatching(/^"us-east-1e" is use1-az3, where Amazon EKS cannot place a cluster; usable: /) }],
      });
    });
  });

  describe('on the local stack, whose realism layer answers for the vendor\'s endpoint service as AWS does', () => {
    let realism: RealismHandle | undefined;
    const install = (unavailableZoneIds: string[] = []) => (realism = installRealism({ profile: 'instant', seed: 1, overrides: { vendorEndpointServices: { unavailableZoneIds } } }));
    afterEach(() => realism?.uninstall());

    it('V9: DescribeVpcEndpointServices names the service\'s zones by name and ID (moto alone: InvalidServiceName)', async () => {
      install(['usw2-az1']);
      await pickAvailabilityZones(ec2(), 'us-west-2'); // the layer learns the account's zone names from this answer
      const out = await ec2().send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [SERVICE] }));
      expect(out.ServiceDetails).toEqual([
        expect.objectContaining({
          ServiceName: SERVICE,
          ServiceType: [{ ServiceType: 'Interface' }],
          AvailabilityZones: ['us-west-2a', 'us-west-2c', 'us-west-2d'],
          AvailabilityZoneIds: ['usw2-az2', 'usw2-az3', 'usw2-az4'],
        }),
      ]);
    });

    it('V3, V9: ValidateInput chooses only zones where the service is offered, and keeps both names and IDs in the config', async () => {
      install(['usw2-az1']);
      const { config } = await validate(request('az-config', { vpcEndpoint: { enabled: true } }));
      expect(config.network.publicSubnet).toEqual({ cidr: '10.0.0.0/24', availabilityZone: 'us-west-2a', availabilityZoneId: 'usw2-az2' });
      expect(config.network.privateSubnets).toEqual([
        { cidr: '10.0.64.0/18', availabilityZone: 'us-west-2a', availabilityZoneId: 'usw2-az2' },
        { cidr: '10.0.128.0/18', availabilityZone: 'us-west-2c', availabilityZoneId: 'usw2-az3' },
        { cidr: '10.0.192.0/18', availabilityZone: 'us-west-2d', availabilityZoneId: 'usw2-az4' },
      ]);
    });

    it('V3, V9: a caller-given zone where the service is not offered is an input error naming the field and why', async () => {
      install(['usw2-az1']);
      await expect(validate(request('az-not-offered', { availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] }))).rejects.toMatchObject({
        name: 'InvalidInputError',
        problems: [
          {
            field: 'network.availabilityZones.1',
            rule: `"us-west-2b" is usw2-az1, where the Zilliz endpoint service ${SERVICE} is not offered (V9); usable: us-west-2a (usw2-az2), us-west-2c (usw2-az3), us-west-2d (usw2-az4)`,
          },
        ],
      });
    });

    it('V3: CreateSubnets puts each subnet in its zone by zone ID, and says where each landed by name and ID', async () => {
      install();
      const { config } = await validate(request('az-subnets', { availabilityZones: ['us-west-2d', 'us-west-2b', 'us-west-2c'] }));
      const state: State = { config };
      state.vpc = await run('CreateVpc', state);
      const subnets = await run<NonNullable<State['subnets']>>('CreateSubnets', state);
      expect(subnets.privateSubnets.map((s) => [s.availabilityZone, s.availabilityZoneId])).toEqual([
        ['us-west-2d', 'usw2-az4'],
        ['us-west-2b', 'usw2-az1'],
        ['us-west-2c', 'usw2-az3'],
      ]);
      const made = (await ec2().send(new DescribeSubnetsCommand({ SubnetIds: [subnets.publicSubnetId] }))).Subnets![0];
      expect([made.AvailabilityZone, made.AvailabilityZoneId]).toEqual(['us-west-2d', 'usw2-az4']);
    });

    it('V3: a config from before zone IDs (names only) still builds its subnets by name', async () => {
      install();
      const { config } = await validate(request('az-names-only'));
      const namesOnly: ProvisioningConfig = {
        ...config,
        network: {
          ...config.network,
          publicSubnet: { cidr: config.network.publicSubnet.cidr, availabilityZone: 'us-west-2a' },
          privateSubnets: config.network.privateSubnets.map((s, i) => ({ cidr: s.cidr, availabilityZone: ['us-west-2a', 'us-west-2b', 'us-west-2c'][i] })),
        },
      };
      const state: State = { config: namesOnly };
      state.vpc = await run('CreateVpc', state);
      const subnets = await run<NonNullable<State['subnets']>>('CreateSubnets', state);
      expect(subnets.privateSubnets.map((s) => [s.availabilityZone, s.availabilityZoneId])).toEqual([
        ['us-west-2a', 'usw2-az2'],
        ['us-west-2b', 'usw2-az1'],
        ['us-west-2c', 'usw2-az3'],
      ]);
    });
  });
});
