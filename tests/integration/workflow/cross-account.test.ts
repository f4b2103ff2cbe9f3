import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../../shared/aws/clients';
import type { ProvisioningOutputs } from '../../../shared/state';
import { outputOf, useLocalStack } from '../../helpers/local-stack';

/** moto keeps one set of resources per account, and STS AssumeRole hands out credentials of the role's account. */
describe('provisioning in a customer account by assuming its role (cross-account)', () => {
  const stack = useLocalStack();
  const targetAccount = { roleArn: 'arn:aws:iam::111122223333:role/ZillizByocProvisioner', externalId: 'ext-7f3a9c' };
  const byTag = { Filters: [{ Name: 'tag:byoc:provisioning-id', Values: ['xa-1'] }] };

  it('builds in the customer account, not ours, and tears down there', async () => {
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', { provisioningId: 'xa-1', projectName: 'demo', region: 'us-west-2', targetAccount }));
    expect(out.accountId).toBe('111122223333');
    expect(out.eksRoleArn).toBe('arn:aws:iam::111122223333:role/demo-eks-role');

    const ours = ec2Client({ region: 'us-west-2' });
    const theirs = ec2Client({ region: 'us-west-2', ...targetAccount });
    expect((await ours.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(0);
    expect((await theirs.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(1);

    const teardown = await stack.run('byoc-teardown', { provisioningId: 'xa-1', region: 'us-west-2', targetAccount, iamRoleName: 'demo-eks-role' });
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await theirs.send(new DescribeVpcsCommand(byTag))).Vpcs).toHaveLength(0);
  });
});
