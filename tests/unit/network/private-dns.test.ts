import { ListHostedZonesByNameCommand, ListHostedZonesCommand, ListTagsForResourcesCommand, Route53Client, type HostedZone } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { callerReferencePrefix, findHostedZones } from '../../../shared/network/private-dns';

const route53Mock = mockClient(Route53Client);
const route53 = new Route53Client({ region: 'us-east-1' });
const zone = (id: string, name: string, extra: Partial<HostedZone> & { private?: boolean } = {}): HostedZone => ({
  Id: `/hostedzone/${id}`,
  Name: name,
  CallerReference: extra.CallerReference ?? `ref-${id}`,
  Config: { PrivateZone: extra.private ?? true },
});

describe('V10: finding our private hosted zone by its name, reading the tags of only the zones of that name', () => {
  afterEach(() => route53Mock.reset());

  it('V10: lists from byoc.zillizcloud.com with ListHostedZonesByName, stops at the next name, and reads tags of the private zones of that name only', async () => {
    route53Mock.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        zone('ZOURS', 'byoc.zillizcloud.com.'),
        zone('ZOTHER', 'byoc.zillizcloud.com.'),
        zone('ZPUBLIC', 'byoc.zillizcloud.com.', { private: false }),
        zone('ZNEXT', 'c.example.com.'),
      ],
      IsTruncated: false,
      DNSName: 'byoc.zillizcloud.com',
      MaxItems: 100,
    });
    route53Mock.on(ListTagsForResourcesCommand).resolves({
      ResourceTagSets: [
        { ResourceId: 'ZOURS', Tags: [{ Key: TAG_PROVISIONING_ID, Value: 'p-1' }] },
        { ResourceId: 'ZOTHER', Tags: [{ Key: TAG_PROVISIONING_ID, Value: 'p-2' }] },
      ],
    });

    const found = await findHostedZones(route53, 'p-1');
    expect(found.map((z) => z.zone.Id)).toEqual(['/hostedzone/ZOURS']);
    expect(route53Mock.commandCalls(ListHostedZonesByNameCommand).map((c) => c.args[0].input)).toEqual([{ DNSName: 'byoc.zillizcloud.com' }]);
    expect(route53Mock.commandCalls(ListTagsForResourcesCommand).map((c) => c.args[0].input)).toEqual([{ ResourceType: 'hostedzone', ResourceIds: ['ZOURS', 'ZOTHER'] }]);
    expect(route53Mock.commandCalls(ListHostedZonesCommand)).toHaveLength(0);
  });

  it('V10: follows NextDNSName/NextHostedZoneId while the next page still holds zones of our name, and knows ours by CallerReference before it is tagged', async () => {
    route53Mock
      .on(ListHostedZonesByNameCommand, { DNSName: 'byoc.zillizcloud.com', HostedZoneId: undefined })
      .resolves({ HostedZones: [zone('Z1', 'byoc.zillizcloud.com.')], IsTruncated: true, NextDNSName: 'byoc.zillizcloud.com.', NextHostedZoneId: 'Z2', MaxItems: 1, DNSName: 'byoc.zillizcloud.com' })
      .on(ListHostedZonesByNameCommand, { DNSName: 'byoc.zillizcloud.com.', HostedZoneId: 'Z2' })
      .resolves({
        HostedZones: [zone('Z2', 'byoc.zillizcloud.com.', { CallerReference: `${callerReferencePrefix('p-1')}-vpc-1` })],
        IsTruncated: true,
        NextDNSName: 'zz.example.com.',
        NextHostedZoneId: 'Z9',
        MaxItems: 1,
        DNSName: 'byoc.zillizcloud.com.',
      });
    route53Mock.on(ListTagsForResourcesCommand).resolves({ ResourceTagSets: [] });

    expect((await findHostedZones(route53, 'p-1')).map((z) => z.zone.Id)).toEqual(['/hostedzone/Z2']);
    expect(route53Mock.commandCalls(ListHostedZonesByNameCommand)).toHaveLength(2);
    expect(route53Mock.commandCalls(ListTagsForResourcesCommand)[0].args[0].input.ResourceIds).toEqual(['Z1', 'Z2']);
  });

  it('V10: reads no tags at all when the account has no zone of our name', async () => {
    route53Mock.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [zone('ZA', 'other.example.com.')], IsTruncated: false, MaxItems: 100 });
    await expect(findHostedZones(route53, 'p-1')).resolves.toEqual([]);
    expect(route53Mock.commandCalls(ListTagsForResourcesCommand)).toHaveLength(0);
  });
});
