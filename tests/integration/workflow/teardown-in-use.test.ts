import { CreateNetworkInterfaceCommand, DeleteNetworkInterfaceCommand, DescribeImagesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../../shared/aws/clients';
import type { ProvisioningOutputs } from '../../../shared/state';
import { readableError } from '../../../shared/status';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { fullRequest, leftoversOf, REGION, statesEntered, teardownRequest } from '../../helpers/workflow';

const ec2 = () => ec2Client({ region: REGION });

/** Issue 10, "teardown of something in use": through the real teardown workflow, not only the step. */
describe('a teardown while resources others made depend on ours', () => {
  const stack = useLocalStack();

  it('is refused naming the foreign network interface, deletes nothing, and goes ahead once it is gone', async () => {
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('tu-1')));
    const before = (await leftoversOf('tu-1')).count;
    // What a load balancer, a Lambda or a cluster of someone else leaves in our subnet.
    const eni = (await ec2().send(new CreateNetworkInterfaceCommand({ SubnetId: out.privateSubnetIds[0], Description: 'someone else' }))).NetworkInterface!.NetworkInterfaceId!;

    const refused = await stack.run('byoc-teardown', teardownRequest('tu-1'), { name: 'tu-1--teardown-1' });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('ResourceInUseError');
    expect(readableError(refused.error, refused.cause).message).toContain(eni);
    // Nothing was deleted: the chain of deletes never started.
    expect(statesEntered(refused.history)).not.toContain('BeginTeardown');
    expect((await leftoversOf('tu-1')).count).toBe(before);

    await ec2().send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    const teardown = await stack.run('byoc-teardown', teardownRequest('tu-1'), { name: 'tu-1--teardown-2' });
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('tu-1')).resources).toEqual([]);
  });

  it('goes ahead with force, reporting what it found', async () => {
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('tu-2')));
    const imageId = (await ec2().send(new DescribeImagesCommand({}))).Images![0].ImageId;
    const instance = (await ec2().send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, SubnetId: out.privateSubnetIds[1], InstanceType: 't3.large' }))).Instances![0].InstanceId!;

    const forced = await stack.run('byoc-teardown', teardownRequest('tu-2', { force: true }), { name: 'tu-2--teardown-1' });
    expect(statesEntered(forced.history)).toContain('BeginTeardown');
    // On AWS the subnet holding the instance cannot be deleted: the teardown then ends TeardownIncompleteError naming
    // it. moto lets the subnet go; either way the forced warning names the instance.
    if (forced.status === 'SUCCEEDED') expect(JSON.stringify(JSON.parse(forced.output!).inUse)).toContain(instance);
    else expect(forced.error).toBe('TeardownIncompleteError');
  });
});
