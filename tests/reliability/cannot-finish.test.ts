import { AuthorizeSecurityGroupIngressCommand, CreateNetworkInterfaceCommand, CreateSecurityGroupCommand, CreateVpcCommand, DeleteNetworkInterfaceCommand, DeleteSecurityGroupCommand, DeleteVpcCommand } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { localFunctions, type LocalHandler } from '../../local/functions';
import { ec2Client } from '../../shared/aws/clients';
import type { ProvisioningOutputs } from '../../shared/state';
import { namedError, REGION, statesEntered } from '../helpers/workflow';
import { SUITE_TIMEOUT_MS, useReliabilityStack } from './reliability-stack';

const ec2 = () => ec2Client({ region: REGION });

/** A promise and its resolve function. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Report, then someone else's network interface appears in our subnet (an EKS node, a Lambda in the VPC), then the
 * provisioning fails: the rollback meets a subnet AWS refuses to delete (DependencyViolation; the realism layer
 * refuses as AWS does, moto would let it go). The interface is made by the test, not by the step (whose role
 * could not make it), while the step waits.
 */
function foreignInterfaceAfterReport() {
  const reported = deferred<ProvisioningOutputs>();
  const released = deferred<void>();
  const handler: LocalHandler = async (event: never, context: Context) => {
    reported.resolve((await localFunctions.Report(event, context)) as ProvisioningOutputs);
    await released.promise;
    throw namedError('AwsOperationError', 'Report: injected failure after the step acted');
  };
  return {
    handler,
    /** Wait for Report, put someone's interface in our first private subnet, let the step fail. */
    async interfere(): Promise<{ eni: string; subnet: string }> {
      const subnet = (await reported.promise).privateSubnetIds[0];
      const eni = (await ec2().send(new CreateNetworkInterfaceCommand({ SubnetId: subnet, Description: 'Amazon EKS someone-elses-cluster' }))).NetworkInterface!.NetworkInterfaceId!;
      released.resolve();
      return { eni, subnet };
    },
  };
}

/**
 * Issue 13, cannot finish: a resource that refuses deletion because of something we did not make ends the workflow
 * in `RollbackIncompleteError` (or `TeardownIncompleteError`) naming it by ID; once the dependency is released, a
 * later teardown finishes, counted in moto.
 */
describe('cannot finish: a dependency held by something we did not make', () => {
  const rel = useReliabilityStack('cannot finish');

  it('a foreign interface in our subnet: the rollback ends RollbackIncompleteError naming the subnet and the VPC; a teardown after its release finishes to zero', async () => {
    const foreign = foreignInterfaceAfterReport();
    rel.counter.fault('step-failure');
    const provisioning = rel.provision('cf-eni', { functions: { ...localFunctions, Report: foreign.handler } });
    const made = await Promise.race([
      foreign.interfere(),
      provisioning.then((r): never => {
        throw new Error(`the provisioning ended before Report: ${r.status} ${r.error} ${r.cause}`);
      }),
    ]);
    const record = await provisioning;
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('RollbackIncompleteError');
    expect(record.cause).toContain(`subnet ${made.subnet}`);
    expect(record.cause).toMatch(/VPC vpc-/);
    expect(record.cause).toContain('The provisioning had failed with AwsOperationError in Report');
    expect(statesEntered(record.history).filter((s) => s === 'FindLeftovers').length).toBeGreaterThan(1);
    // In moto, by tag: the subnet (and what holds it up) is there, the rest is gone.
    const left = (await rel.census()).of('cf-eni');
    expect(left.map((e) => e.id)).toContain(made.subnet);
    expect(left.map((e) => e.type)).not.toContain('IAM role');

    // Released: the owner deletes the interface; the teardown now finishes.
    await ec2().send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: made.eni }));
    const teardown = await rel.teardown('cf-eni', { input: { provisioningId: 'cf-eni', region: REGION } });
    expect([teardown.status, teardown.error ?? null]).toEqual(['SUCCEEDED', null]);
    await rel.expectNothingLeft(['cf-eni']);
  }, SUITE_TIMEOUT_MS);

  it('a foreign rule naming our security group: the forced teardown ends TeardownIncompleteError naming the group; after the rule\'s group is gone, it finishes', async () => {
    const made = await rel.provision('cf-sg');
    expect([made.status, made.error ?? null]).toEqual(['SUCCEEDED', null]);
    const ours = (await rel.census()).of('cf-sg').find((e) => e.type === 'security group')!.id;
    const otherVpc = (await ec2().send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
    const theirs = (await ec2().send(new CreateSecurityGroupCommand({ VpcId: otherVpc, GroupName: 'someone-elses', Description: 'trusts the database clients' }))).GroupId!;
    await ec2().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: theirs, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: ours }] }] }));

    const stuck = await rel.teardown('cf-sg', { input: { provisioningId: 'cf-sg', region: REGION, force: true } });
    expect(stuck.status).toBe('FAILED');
    expect(stuck.error).toBe('TeardownIncompleteError');
    expect(stuck.cause).toContain(`security group ${ours}`);

    await ec2().send(new DeleteSecurityGroupCommand({ GroupId: theirs }));
    await ec2().send(new DeleteVpcCommand({ VpcId: otherVpc }));
    const teardown = await rel.teardown('cf-sg', { input: { provisioningId: 'cf-sg', region: REGION } });
    expect([teardown.status, teardown.error ?? null]).toEqual(['SUCCEEDED', null]);
    await rel.expectNothingLeft(['cf-sg']);
  }, SUITE_TIMEOUT_MS);
});
