import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../../shared/aws/clients';
import type { ProvisioningOutputs } from '../../../shared/state';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { outputOf, useLocalStack } from '../../helpers/local-stack';

/** moto keeps one set of resources per account, and STS AssumeRole hands out credentials of the role's account. */
describe('provisioning in a customer account by assuming its role (cross-account)', () => {
  const stack = useLocalStack();
  const targetAccount = { roleArn: 'arn:aws:iam::111122223333:role/ZillizByocProvisioner', externalId: 'ext-7f3a9c' };
  const byTag = { Filters: [{ Name: 'tag:byoc:provisioning-id', Values: ['xa-1'] }] };

  it('builds in the customer account, not ours, and tears down there', async () => {
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', { provisioningId: 'xa-1', projectName: 'demo', region: 'us-west-2', targetAccount, crossAccountRole: { externalId: TEST_EXTERNAL_ID } }));
    expect(out.accountId).toBe('111122223333');
    expect(out.eksRoleArn).toBe('arn:aws:iam::111122223333:role/zilliz-byoc-demo-eks-role');
    expect(out.storageRoleArn).toBe('arn:aws:iam::111122223333:role/zilliz-byoc-demo-storage-role');
    expect(out.crossAccountRoleArn).toBe('arn:aws:iam::111122223333:role/zilliz-byoc-demo-cross-account-role');

    const ours = ec2Client({ region: 'us-west-2' });
    const theirs = ec2Client({ region: 'us-west-2', ...targetAccount });
    expect((await ours.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(0);
    expect((await theirs.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(1);

    const teardown = await stack.run('byoc-teardown', { provisioningId: 'xa-1', region: 'us-west-2', targetAccount, iamRoleName: 'zilliz-byoc-demo-eks-role', storageRoleName: 'zilliz-byoc-demo-storage-role', crossAccountRoleName: 'zilliz-byoc-demo-cross-account-role', bucketName: out.bucketName });
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await theirs.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(0);
  });
});
