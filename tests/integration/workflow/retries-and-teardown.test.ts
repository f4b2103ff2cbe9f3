import { localFunctions, type LocalHandler } from '../../../local/functions';
import type { ProvisioningOutputs } from '../../../shared/state';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { actThenFail, forwardSteps, fullRequest, leftoversOf, loseFirstAnswer, namedError, statesEntered, teardownRequest } from '../../helpers/workflow';

describe('retries and teardown on the local stack', () => {
  const stack = useLocalStack();

  it('succeeds with no duplicate resource when the first answer of EVERY step is lost after AWS acted', async () => {
    const functions: Record<string, LocalHandler> = { ...localFunctions };
    for (const step of forwardSteps()) functions[step] = loseFirstAnswer(step);
    const record = await stack.run('byoc-provision', fullRequest('rt-lost'), { functions });

    const out = outputOf<ProvisioningOutputs>(record);
    // Every step ran twice (its first answer lost), and the retries found what the first attempts made.
    const retried = record.history.filter((e) => e.type === 'LambdaFunctionFailed').length;
    expect(retried).toBeGreaterThanOrEqual(forwardSteps().length);
    const left = await leftoversOf('rt-lost');
    const count = (type: string) => left.resources.filter((r) => r.type === type).length;
    expect({ vpc: count('VPC'), subnets: count('subnet'), igw: count('internet gateway'), nat: count('NAT gateway'), eip: count('Elastic IP'), routeTables: count('route table'), sg: count('security group'), endpoint: count('VPC endpoint'), zone: count('Route 53 hosted zone'), role: count('IAM role'), bucket: count('S3 bucket') }).toEqual({
      vpc: 1,
      subnets: 4,
      igw: 1,
      nat: 1,
      eip: 1,
      routeTables: 2,
      sg: 1,
      endpoint: 2, // V9 interface endpoint and S1 gateway endpoint
      zone: 1,
      role: 3, // R4 EKS, S2 storage, X1 cross-account
      bucket: 1,
    });
    expect(out.privateSubnetIds).toHaveLength(3);
  });

  it('tears down everything after a successful provisioning, and is safe to run twice', async () => {
    outputOf(await stack.run('byoc-provision', fullRequest('td-ok')));
    expect((await leftoversOf('td-ok')).count).toBeGreaterThan(10);

    const teardown = await stack.run('byoc-teardown', teardownRequest('td-ok'));
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('td-ok')).resources).toEqual([]);
    const { deleted, kept } = JSON.parse(teardown.output!) as { deleted: Record<string, { deleted?: string[] }>; kept: unknown[] };
    expect(deleted.vpc.deleted).toHaveLength(1);
    expect(deleted.bucket.deleted).toHaveLength(1);
    expect(kept).toEqual([]);

    const again = await stack.run('byoc-teardown', teardownRequest('td-ok'));
    expect(again.status).toBe('SUCCEEDED');
  });

  it('tears down a provisioning that failed half-way and whose rollback could not finish', async () => {
    const refuse = async () => {
      throw namedError('AccessDeniedError', 'DeleteSubnets: injected: not allowed');
    };
    const failed = await stack.run('byoc-provision', fullRequest('td-half'), {
      functions: { ...localFunctions, CreateRouteTables: actThenFail('CreateRouteTables'), DeleteSubnets: refuse },
    });
    expect(failed.error).toBe('RollbackIncompleteError');
    expect((await leftoversOf('td-half')).count).toBeGreaterThan(0);

    const teardown = await stack.run('byoc-teardown', { provisioningId: 'td-half', region: 'us-west-2' });
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('td-half')).resources).toEqual([]);
  });

  it('finds the roles and the bucket by their tags when the teardown is not told their names', async () => {
    outputOf(await stack.run('byoc-provision', fullRequest('td-noname')));
    const teardown = await stack.run('byoc-teardown', { provisioningId: 'td-noname', region: 'us-west-2' });
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('td-noname')).resources).toEqual([]);
  });

  it('rejects a bad teardown request, naming the fields', async () => {
    const record = await stack.run('byoc-teardown', { region: 'mars-1', extra: 1 });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    expect(message).toContain('provisioningId: is required');
    expect(message).toContain('extra: is not a known field');
    expect(statesEntered(record.history)).toEqual(['ValidateTeardownInput']);
  });
});
