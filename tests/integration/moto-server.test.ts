import { CreateVpcCommand, DescribeTagsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../shared/aws/clients';
import { useMoto } from '../helpers/moto';

/**
 * local/moto_server.py: moto's server with a direct lookup of one resource's EC2 tags (moto scans every tag of the
 * account for it). The answers must be moto's own: one resource's tags, tag filters on Describe*, and the scan for
 * anything else (wildcards, keys, values).
 */
describe('the local moto server (local/moto_server.py)', () => {
  useMoto();
  const ec2 = () => ec2Client({ region: 'us-west-2' });
  const vpc = async (cidr: string, tags: Record<string, string>) =>
    (await ec2().send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }))).Vpc!.VpcId!;

  it("answers one resource's tags, tag filters and wildcard scans as moto does", async () => {
    const a = await vpc('10.1.0.0/16', { 'zilliz:byoc:provisioning-id': 'ms-a', Name: 'a' });
    const b = await vpc('10.2.0.0/16', { 'zilliz:byoc:provisioning-id': 'ms-b', Name: 'b' });

    const ofA = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [a] }] }));
    expect(ofA.Tags?.map((t) => [t.ResourceId, t.ResourceType, t.Key, t.Value]).sort()).toEqual([
      [a, 'vpc', 'Name', 'a'],
      [a, 'vpc', 'zilliz:byoc:provisioning-id', 'ms-a'],
    ]);
    // A Describe renders each resource's own tags, and a tag filter finds only its match.
    const byTag = await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:zilliz:byoc:provisioning-id', Values: ['ms-b'] }] }));
    expect(byTag.Vpcs?.map((v) => [v.VpcId, v.Tags?.find((t) => t.Key === 'Name')?.Value])).toEqual([[b, 'b']]);
    // Wildcards, several IDs and other filters go to moto's own scan.
    const both = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['vpc-*'] }, { Name: 'key', Values: ['Name'] }] }));
    expect(both.Tags?.map((t) => t.ResourceId).sort()).toEqual([a, b].sort());
    const two = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [a, b] }] }));
    expect(two.Tags).toHaveLength(4);
    const none = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['vpc-00000000000000000'] }] }));
    expect(none.Tags ?? []).toEqual([]);
  });
});
