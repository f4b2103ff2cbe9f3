import { PRIVATE_ZONE_NAME, partitionOf, regionInfo, regionTable, supportedRegions } from '../../../shared/regions';

describe('the region table (V1), kept as data in one place', () => {
  const noExtra = {} as NodeJS.ProcessEnv;

  it('supports the two regions the guides name and the three the vendor\'s Terraform adds, sorted', () => {
    expect(supportedRegions(noExtra)).toEqual(['ap-east-1', 'eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
  });

  it('gives each region its Zilliz BYOC endpoint service (V9), in the region it serves', () => {
    for (const [region, info] of Object.entries(regionTable(noExtra))) {
      expect(info.endpointServiceName).toMatch(new RegExp(`^com\\.amazonaws\\.vpce\\.${region}\\.vpce-svc-[0-9a-f]{17}$`));
    }
    expect(regionInfo('us-west-2', noExtra)?.endpointServiceName).toBe('com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a');
    expect(regionInfo('eu-central-1', noExtra)?.endpointServiceName).toBe('com.amazonaws.vpce.eu-central-1.vpce-svc-0d5ce1ec4decbc7df');
  });

  it('does not carry the ordinary (non-BYOC) Zilliz PrivateLink service by mistake', () => {
    const names = Object.values(regionTable(noExtra)).map((i) => i.endpointServiceName);
    expect(names.some((n) => n.endsWith('vpce-svc-0ecd272cca7aa6d6e'))).toBe(false);
  });

  it('names the V10 alias record only where the guide gives one: zilliz-byoc-us and zilliz-byoc-eu', () => {
    const records = Object.fromEntries(Object.entries(regionTable(noExtra)).map(([r, i]) => [r, i.privateDnsRecordName ?? null]));
    expect(records).toEqual({ 'us-west-2': 'zilliz-byoc-us', 'eu-central-1': 'zilliz-byoc-eu', 'us-east-1': null, 'eu-west-1': null, 'ap-east-1': null });
    expect(PRIVATE_ZONE_NAME).toBe('byoc.zillizcloud.com');
  });

  it('knows no other region', () => {
    expect(regionInfo('ap-south-1', noExtra)).toBeUndefined();
    expect(regionInfo('', noExtra)).toBeUndefined();
  });

  it('adds or overrides rows from BYOC_EXTRA_REGIONS without a code change', () => {
    const env = {
      BYOC_EXTRA_REGIONS: JSON.stringify({
        'ap-northeast-1': { location: 'Tokyo', endpointServiceName: 'com.amazonaws.vpce.ap-northeast-1.vpce-svc-00000000000000001' },
        'us-east-1': { location: 'N. Virginia', endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000002', privateDnsRecordName: 'zilliz-byoc-use1' },
      }),
    } as NodeJS.ProcessEnv;
    expect(supportedRegions(env)).toContain('ap-northeast-1');
    expect(regionInfo('us-east-1', env)).toEqual({
      location: 'N. Virginia',
      endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000002',
      privateDnsRecordName: 'zilliz-byoc-use1',
    });
    expect(regionInfo('us-west-2', env)?.privateDnsRecordName).toBe('zilliz-byoc-us');
  });

  it('tells the partition from the region name (ARNs depend on it)', () => {
    expect([partitionOf('us-west-2'), partitionOf('cn-north-1'), partitionOf('us-gov-west-1')]).toEqual(['aws', 'aws-cn', 'aws-us-gov']);
  });
});
