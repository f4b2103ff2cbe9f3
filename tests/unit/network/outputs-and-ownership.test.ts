import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import { networkOutputs } from '../../../shared/network/outputs';
import { UndoTally, chooseKeeper, keepOwned, ownedResources, requireKey } from '../../../shared/network/ownership';
import type { NetworkState } from '../../../shared/network/types';

const built: NetworkState = {
  vpc: { vpcId: 'vpc-1', cidr: '10.0.0.0/16' },
  subnets: {
    publicSubnetId: 'subnet-pub',
    privateSubnets: [
      { subnetId: 'subnet-a', cidr: '10.0.64.0/18', availabilityZone: 'us-west-2a' },
      { subnetId: 'subnet-b', cidr: '10.0.128.0/18', availabilityZone: 'us-west-2b' },
      { subnetId: 'subnet-c', cidr: '10.0.192.0/18', availabilityZone: 'us-west-2c' },
    ],
  },
  internetGateway: { internetGatewayId: 'igw-1' },
  natGateway: { natGatewayId: 'nat-1', allocationId: 'eipalloc-1', state: 'pending' },
  securityGroup: { securityGroupId: 'sg-1' },
};

describe('V11: the network outputs', () => {
  it('hand back the VPC, the private subnets with zone and CIDR, and the security group; no endpoint or zone when none was requested', () => {
    expect(networkOutputs(built)).toEqual({
      vpcId: 'vpc-1',
      publicSubnetId: 'subnet-pub',
      privateSubnets: [
        { subnetId: 'subnet-a', availabilityZone: 'us-west-2a', cidr: '10.0.64.0/18' },
        { subnetId: 'subnet-b', availabilityZone: 'us-west-2b', cidr: '10.0.128.0/18' },
        { subnetId: 'subnet-c', availabilityZone: 'us-west-2c', cidr: '10.0.192.0/18' },
      ],
      securityGroupId: 'sg-1',
      natGatewayId: 'nat-1',
      internetGatewayId: 'igw-1',
      vpcEndpoint: null,
      hostedZoneId: null,
    });
  });

  it('add the endpoint ID with the DNS name CheckVpcEndpoint read, and the hosted zone', () => {
    const out = networkOutputs({
      ...built,
      vpcEndpoint: { vpcEndpointId: 'vpce-1', state: 'pending' },
      vpcEndpointStatus: { state: 'available', ready: true, dnsName: 'vpce-1.example', hostedZoneId: 'Z1' },
      privateDns: { hostedZoneId: 'Z2', changeId: 'C1', recordName: 'zilliz-byoc-us.byoc.zillizcloud.com' },
    });
    expect([out.vpcEndpoint, out.hostedZoneId]).toEqual([{ id: 'vpce-1', dnsName: 'vpce-1.example' }, 'Z2']);
  });

  it('name the missing key when the state lacks one every provisioning has', () => {
    expect(() => networkOutputs({ ...built, securityGroup: undefined })).toThrow('Report needs $.securityGroup in the state');
  });
});

describe('ownership: find-by-tag never hands over another provisioning\'s resource', () => {
  const tags = (id: string, kind: string) => [
    { Key: TAG_PROVISIONING_ID, Value: id },
    { Key: TAG_RESOURCE, Value: kind },
  ];

  it('keepOwned drops what an emulator returned despite the tag filter: other provisionings, other kinds, untagged', () => {
    const items = [
      { id: 'mine', Tags: tags('p-1', 'nat-gateway') },
      { id: 'other-provisioning', Tags: tags('p-2', 'nat-gateway') },
      { id: 'other-kind', Tags: tags('p-1', 'nat-eip') },
      { id: 'untagged', Tags: undefined },
    ];
    expect(keepOwned(items, (i) => i.Tags, 'p-1', ['nat-gateway']).map((i) => i.id)).toEqual(['mine']);
  });

  it('ownedResources adds a state-named resource that carries our tag, reports one that is gone as notFound, and refuses a foreign one', async () => {
    const world: Record<string, { id: string; Tags?: { Key: string; Value: string }[] }> = {
      'sg-ours': { id: 'sg-ours', Tags: tags('p-1', 'security-group') },
      'sg-foreign': { id: 'sg-foreign', Tags: [{ Key: 'Name', Value: 'theirs' }] },
    };
    const args = { provisioningId: 'p-1', kind: 'security group', found: [], idOf: (r: { id: string }) => r.id, tagsOf: (r: { Tags?: { Key: string; Value: string }[] }) => r.Tags, describe: async (id: string) => world[id] };
    await expect(ownedResources({ ...args, named: ['sg-ours', 'sg-gone', undefined] })).resolves.toEqual({ owned: [world['sg-ours']], notFound: ['sg-gone'] });
    await expect(ownedResources({ ...args, named: ['sg-foreign'] })).rejects.toMatchObject({ name: 'ForeignResourceError', message: expect.stringContaining('sg-foreign') });
  });

  it('chooseKeeper keeps one in use before one that is not, then the lowest ID, whatever the order it is given', () => {
    const ids = (r: { id: string }) => r.id;
    expect(chooseKeeper([{ id: 'vpc-3' }, { id: 'vpc-1' }, { id: 'vpc-2' }], ids, () => false)).toEqual({ keep: { id: 'vpc-1' }, extras: [{ id: 'vpc-2' }, { id: 'vpc-3' }] });
    expect(chooseKeeper([{ id: 'igw-1' }, { id: 'igw-2', attached: true }], ids, (g: { attached?: boolean }) => Boolean(g.attached)).keep).toEqual({ id: 'igw-2', attached: true });
    expect(() => chooseKeeper([], ids, () => false)).toThrow('at least one');
  });

  it('UndoTally reports each ID once, sorted, and never as both deleted and not found', () => {
    const tally = new UndoTally(['b-gone']);
    tally.deleted.push('z-1', 'a-1', 'a-1');
    tally.notFound.push('a-1', 'c-gone');
    expect(tally.result()).toEqual({ deleted: ['a-1', 'z-1'], notFound: ['b-gone', 'c-gone'] });
  });

  it('requireKey names the missing state key and the step that needs it', () => {
    expect(() => requireKey(undefined, 'subnets', 'CreateNatGateway')).toThrow('CreateNatGateway needs $.subnets in the state, written by an earlier step; it is missing');
    expect(requireKey({ vpcId: 'vpc-1' }, 'vpc', 'CreateSubnets')).toEqual({ vpcId: 'vpc-1' });
  });
});
