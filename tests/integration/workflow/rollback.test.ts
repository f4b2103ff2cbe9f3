import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { iamClient } from '../../../shared/aws/clients';
import { localFunctions } from '../../../local/functions';
import { readableError } from '../../../shared/status';
import { useLocalStack } from '../../helpers/local-stack';
import { actThenFail, forwardSteps, fullRequest, leftoversOf, namedError, namesOf, statesEntered, teardownRequest } from '../../helpers/workflow';

/**
 * Issue 6, "for every step": a step that fails for good, after it already acted in AWS (the worst case), must
 * leave zero resources carrying the provisioning ID, and the execution must fail with the original error,
 * naming the step.
 */
describe('rollback on the local stack', () => {
  const stack = useLocalStack();
  const steps = forwardSteps();

  it('covers every forward step of the workflow', () => {
    expect(steps).toEqual(
      expect.arrayContaining(['CreateVpc', 'CreateSubnets', 'CreateInternetGateway', 'CreateNatGateway', 'CheckNatGateway', 'CreateRouteTables', 'CreateSecurityGroup', 'CreateVpcEndpoint', 'CheckVpcEndpoint', 'CreatePrivateDns', 'CheckPrivateDnsChange', 'CreateEksRole', 'AttachManagedPolicies', 'PutInlinePolicies', 'CreateS3GatewayEndpoint', 'CreateBucket', 'CreateStorageRole', 'CreateCrossAccountRole', 'Verify', 'Report']),
    );
  });

  it.each(forwardSteps())('leaves nothing behind when %s fails for good after acting, and reports its error', async (step) => {
    const id = `rb-${step.toLowerCase()}`.slice(0, 60);
    const record = await stack.run('byoc-provision', fullRequest(id), { functions: { ...localFunctions, [step]: actThenFail(step) } });

    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('AwsOperationError');
    expect(readableError(record.error, record.cause)).toMatchObject({ step, message: 'injected failure after the step acted' });
    expect(statesEntered(record.history)).toContain('BeginRollback');
    expect((await leftoversOf(id)).resources).toEqual([]);
  });

  it('never retries a terminal error: the failing step ran once', async () => {
    const record = await stack.run('byoc-provision', fullRequest('rb-once'), { functions: { ...localFunctions, CreateSubnets: actThenFail('CreateSubnets', 'QuotaExceededError') } });
    expect(record.error).toBe('QuotaExceededError');
    const attempts = record.history.filter((e) => e.type === 'LambdaFunctionScheduled' && e.lambdaFunctionScheduledEventDetails?.resource?.endsWith('-CreateSubnets'));
    expect(attempts).toHaveLength(1);
  });

  it('ends with RollbackIncompleteError naming each resource left when an undo step cannot finish', async () => {
    const refuse = async () => {
      throw namedError('AccessDeniedError', 'DeleteVpc: injected: not allowed to delete the VPC');
    };
    const record = await stack.run('byoc-provision', fullRequest('rb-stuck'), {
      functions: { ...localFunctions, Report: actThenFail('Report'), DeleteVpc: refuse },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('RollbackIncompleteError');
    const left = await leftoversOf('rb-stuck');
    expect(left.resources.map((r) => r.type)).toEqual(['VPC']);
    expect(record.cause).toContain(`VPC ${left.resources[0].id}`);
    expect(record.cause).toContain('The provisioning had failed with AwsOperationError in Report: injected failure after the step acted');
    // Three sweeps, then it gives up (bounded).
    expect(statesEntered(record.history).filter((s) => s === 'FindLeftovers')).toHaveLength(3);
  });
});

describe('a role of the same name that is not ours (R1-R5)', () => {
  const stack = useLocalStack();

  it('is refused, the rollback removes everything else, and the foreign role is left exactly as it was', async () => {
    const iam = iamClient({ region: 'us-west-2' });
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'zilliz-byoc-someone-elses-role', AssumeRolePolicyDocument: trust }));

    // Preflight names such a role before anything is made (tests/integration/preflight.test.ts); this is the role that
    // appears after it ran (another process made it meanwhile), so the run starts past Preflight.
    const pastPreflight = { ...localFunctions, Preflight: (async (event: unknown) => event) as never };
    const record = await stack.run('byoc-provision', fullRequest('rb-foreign', { iamRole: { name: 'zilliz-byoc-someone-elses-role' } }), { functions: pastPreflight });
    expect(record.status).toBe('FAILED');
    expect(readableError(record.error, record.cause)).toMatchObject({ name: 'ForeignResourceError', step: 'CreateEksRole' });
    expect((await leftoversOf('rb-foreign', { ...namesOf('rb-foreign'), eksRoleName: 'zilliz-byoc-someone-elses-role' })).resources).toEqual([]);
    const role = await iam.send(new GetRoleCommand({ RoleName: 'zilliz-byoc-someone-elses-role' }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toBe(trust);
  });
});

describe('a leftover sweep that fails itself', () => {
  const stack = useLocalStack();
  const broken = async () => {
    throw namedError('AccessDeniedError', 'FindLeftovers: injected: not allowed to list');
  };

  it('keeps the original error of the provisioning, and says the rollback is unchecked', async () => {
    const record = await stack.run('byoc-provision', fullRequest('rb-sweep'), { functions: { ...localFunctions, CreateSubnets: actThenFail('CreateSubnets'), FindLeftovers: broken } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('AwsOperationError');
    expect(record.cause).toContain('injected failure after the step acted');
    expect(record.cause).toContain('the check for leftovers failed (AccessDeniedError)');
    // Unchecked, something may be left (a cancelled branch's step may have acted late): the teardown it points to
    // removes it.
    expect((await stack.run('byoc-teardown', teardownRequest('rb-sweep'))).status).toBe('SUCCEEDED');
    expect((await leftoversOf('rb-sweep')).resources).toEqual([]);
  });

  it('ends a teardown as incomplete, saying the check failed', async () => {
    const record = await stack.run('byoc-teardown', { provisioningId: 'rb-sweep-td', region: 'us-west-2' }, { functions: { ...localFunctions, FindLeftovers: broken } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('TeardownIncompleteError');
    expect(record.cause).toContain('Could not check for leftovers after the teardown (AccessDeniedError');
  });
});
