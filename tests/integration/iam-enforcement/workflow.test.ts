import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ListRolesCommand, SimulatePrincipalPolicyCommand, type SimulatePrincipalPolicyCommandInput } from '@aws-sdk/client-iam';
import { ec2Client, iamClient } from '../../../shared/aws/clients';
import { handler as preflightApi } from '../../../functions/api/preflight';
import type { ProvisioningOutputs } from '../../../shared/state';
import { startLocalStack, type LocalStack } from '../../../local/stack';
import { customerRolePolicies, customerRoleStatementIds, evaluateIam, LOCAL_ACCOUNT_ID, runAsFunction } from '../../../local/realism/iam';
import type { ExecutionRecord } from '../../../local/executions';
import { outputOf } from '../../helpers/local-stack';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';
import { fullRequest, statesEntered, teardownRequest } from '../../helpers/workflow';

/**
 * IAM judged as AWS judges it (issue 11; X1, V1-V11, R1-R5, S1, S2): the workflow runs on the instant profile with
 * enforcement forced on, so every call a step makes is evaluated against the customer role of
 * deploy/customer-role.yaml (through targetAccount) or the step's own serverless.yml role before moto sees it.
 * The runs start with the real Preflight, whose DryRun probes and iam:SimulatePrincipalPolicy are answered from the
 * same policies, so a removed statement is found there, before anything is created.
 */
jest.setTimeout(240_000);

const CUSTOMER_ACCOUNT = '111122223333';
const EXTERNAL_ID = 'ext-7f3a9c';
const targetAccount = { roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/ZillizByocProvisioner`, externalId: EXTERNAL_ID };
/** The customer deployed deploy/customer-role.yaml with this external ID. */
const SETTINGS = { customerRoleParameters: { ExternalId: EXTERNAL_ID } };

describe('IAM enforced on the local stack', () => {
  let stack: LocalStack;
  const run = (workflow: 'byoc-provision' | 'byoc-teardown', name: string, input: unknown): Promise<ExecutionRecord> => stack.engine.start(workflow, name, input).done;
  const denials = () => stack.realism.events.filter((e) => e.kind === 'access-denied');

  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', iam: SETTINGS, stateDir: mkdtempSync(join(tmpdir(), 'byoc-iam-')) });
  }, 60_000);
  afterAll(() => stack?.stop());

  let customerChecks: { action: string; resource: string; context: Record<string, string | string[]> }[] = [];

  it('provisions with every option in a customer account, updates it and tears it down, each call allowed by the customer role', async () => {
    const id = 'iam-x1';
    const provision = await run('byoc-provision', id, fullRequest(id, { targetAccount, tags: { team: 'a', drop: 'me' } }));
    const out = outputOf<ProvisioningOutputs>(provision);
    expect(out.accountId).toBe(CUSTOMER_ACCOUNT);
    expect(out.hostedZoneId).toBeTruthy();
    const update = await run('byoc-provision', `${id}--update-1`, fullRequest(id, { targetAccount, tags: { team: 'b' }, network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true }, securityGroup: { strict: true } } }));
    expect(update.status).toBe('SUCCEEDED');
    // Without the roles' names: the teardown finds them by tag (iam:ListRoles, then the tags of our roles only).
    const { bucketName } = teardownRequest(id);
    const teardown = await run('byoc-teardown', `${id}--teardown-1`, { provisioningId: id, region: 'us-west-2', targetAccount, bucketName });
    expect(teardown.status).toBe('SUCCEEDED');
    expect(denials()).toEqual([]);

    const checks = stack.realism.iamChecks.filter((c) => c.role === 'customer');
    // Judged with the facts AWS would use: our tag on what is deleted, our tag in the request of what is created.
    expect(checks.find((c) => c.check.action === 'ec2:DeleteVpc')?.check.context['ec2:ResourceTag/byoc:provisioning-id']).toBe(id);
    expect(checks.find((c) => c.check.action === 'ec2:CreateTags' && c.check.context['ec2:CreateAction'] === 'CreateVpc')?.check.context['aws:RequestTag/byoc:provisioning-id']).toBe(id);
    expect(checks.find((c) => c.check.action === 'iam:DeleteRole')?.check.context['iam:ResourceTag/byoc:provisioning-id']).toBe(id);
    customerChecks = [...new Map(checks.map((c) => [JSON.stringify(c.check), c.check])).values()];
  });

  it('provisions and tears down in its own account, each call allowed by the step\'s own serverless.yml role', async () => {
    const id = 'iam-own';
    stack.realism.clearEvents();
    outputOf(await run('byoc-provision', id, fullRequest(id)));
    expect((await run('byoc-teardown', `${id}--teardown-1`, teardownRequest(id))).status).toBe('SUCCEEDED');
    expect(denials()).toEqual([]);
    const roles = new Set(stack.realism.iamChecks.map((c) => c.role));
    for (const role of ['ValidateRole', 'NetworkStepsRole', 'IamStepsRole', 'StorageStepsRole', 'ReadOnlyStepsRole']) expect(roles).toContain(role);
  });

  it('needs every statement of the customer role: without any one, a call of that run is denied', async () => {
    expect(customerChecks.length).toBeGreaterThan(50);
    const policies = customerRolePolicies({ accountId: CUSTOMER_ACCOUNT, region: 'us-west-2' }, { VendorAccountId: LOCAL_ACCOUNT_ID, ExternalId: EXTERNAL_ID }).policies;
    const identity = { principal: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/ZillizByocProvisioner/byoc-x`, accountId: CUSTOMER_ACCOUNT, policies };
    // The runs go through the real Preflight: its DryRun probes, quota reads and policy simulation are calls too.
    const deniedWithout: Record<string, string[]> = Object.fromEntries(customerRoleStatementIds().map((s) => [s, []]));
    // A call allowed by exactly one statement is denied without it (no Deny statements: removing one never allows more).
    for (const check of customerChecks) {
      const decision = await evaluateIam(identity, check);
      expect(decision).toMatchObject({ allowed: true });
      const [only, ...others] = new Set(decision.statements);
      if (only && others.length === 0 && deniedWithout[only] && !deniedWithout[only].includes(check.action)) deniedWithout[only].push(check.action);
    }
    for (const actions of Object.values(deniedWithout)) actions.sort();
    // Each statement is what allows at least one call the run made.
    expect(Object.entries(deniedWithout).filter(([, actions]) => actions.length === 0).map(([statement]) => statement)).toEqual([]);
    expect(deniedWithout['byoc-network/DeleteOnlyWhatTheProvisionerTagged']).toEqual(expect.arrayContaining(['ec2:DeleteVpc', 'ec2:DeleteNatGateway']));
    expect(deniedWithout['byoc-network/TagOnlyAtCreation']).toEqual(['ec2:CreateTags']);
    // The Preflight's own statements: its quota reads and the simulation of the role by itself.
    expect(deniedWithout['byoc-preflight/ReadQuotas']).toEqual(expect.arrayContaining(['servicequotas:GetServiceQuota']));
    expect(deniedWithout['byoc-preflight/SimulateThisRole']).toEqual(['iam:SimulatePrincipalPolicy']);
  });

  // Issue 11, "the preflight finds it before anything is created": a statement removed from the customer role is
  // found by the Preflight (an EC2 DryRun probe, or IAM's policy simulation of the customer role, both judged by the
  // role's real policies), not by the step that would have needed it.
  it.each([
    ['byoc-network/CreateTagged', 'ec2:CreateVpc', 'EC2 answered the DryRun call with UnauthorizedOperation'],
    ['byoc-roles/CreateOurRolesTagged', 'iam:CreateRole', 'iam:SimulatePrincipalPolicy: implicitDeny'],
  ])('fails a provisioning without %s in Preflight, naming %s, before anything is created', async (statement, action, how) => {
    stack.realism.setIamSettings({ ...SETTINGS, withoutStatements: [statement] });
    try {
      const id = `iam-no-${statement.split('/')[1].toLowerCase()}`.slice(0, 40);
      const record = await run('byoc-provision', id, fullRequest(id, { targetAccount }));
      expect(record.status).toBe('FAILED');
      expect(record.error).toBe('PreflightFailedError');
      expect(record.cause).toContain(`${action} is not allowed for ${targetAccount.roleArn} (${how}`);
      const entered = statesEntered(record.history as never);
      expect(entered).toContain('Preflight');
      expect(entered.filter((s) => /^(Create|Rollback|BuildNetworkAndRole|AttachManagedPolicies)/.test(s))).toEqual([]);
      // Nothing of this provisioning exists in the customer's account.
      const theirs = { region: 'us-west-2', ...targetAccount, provisioningId: id };
      expect((await ec2Client(theirs).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:byoc:provisioning-id', Values: [id] }] }))).Vpcs).toEqual([]);
      expect(((await iamClient(theirs).send(new ListRolesCommand({}))).Roles ?? []).filter((r) => r.RoleName?.includes(id))).toEqual([]);
    } finally {
      stack.realism.setIamSettings(SETTINGS);
    }
  });

  it('POST /preflight judges permissions by the customer role\'s real policies: IAM\'s simulation reports a removed statement\'s action, with no deny: fault', async () => {
    const body = { ...fullRequest('iam-pf-api', { targetAccount }) };
    const post = async () => {
      const answer = await preflightApi(apiEvent('POST /preflight', { body }), lambdaContext());
      expect(answer.statusCode).toBe(200);
      return JSON.parse(answer.body!) as { ok: boolean; findings: { severity: string; action?: string; message: string }[]; permissions: { action: string; via: string; result: string }[] };
    };
    stack.realism.setFaults(undefined); // no deny: rule: only the role's policies decide
    const whole = await post();
    expect(whole.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(whole.permissions).toContainEqual({ action: 'iam:CreateRole', via: 'simulation', result: 'allowed' });
    expect(whole.permissions).toContainEqual({ action: 's3:CreateBucket', via: 'simulation', result: 'allowed' });
    stack.realism.setIamSettings({ ...SETTINGS, withoutStatements: ['byoc-roles/CreateOurRolesTagged'] });
    try {
      const missing = await post();
      expect(missing.ok).toBe(false);
      expect(missing.findings.filter((f) => f.severity === 'error')).toEqual([
        expect.objectContaining({ action: 'iam:CreateRole', message: expect.stringContaining(`iam:CreateRole is not allowed for ${targetAccount.roleArn} (iam:SimulatePrincipalPolicy: implicitDeny`) }),
      ]);
      expect(missing.permissions).toContainEqual({ action: 'iam:CreateRole', via: 'simulation', result: 'denied' });
      // Only what the removed statement granted: the other role and bucket actions are still allowed.
      expect(missing.permissions).toContainEqual({ action: 'iam:TagRole', via: 'simulation', result: 'allowed' });
      expect(missing.permissions).toContainEqual({ action: 's3:CreateBucket', via: 'simulation', result: 'allowed' });
    } finally {
      stack.realism.setIamSettings(SETTINGS);
    }
  });

  it('answers iam:SimulatePrincipalPolicy in IAM\'s format from the principal\'s policies; a deny: fault still wins', async () => {
    const iam = iamClient({ region: 'us-west-2', ...targetAccount });
    const bucket = 'arn:aws:s3:::zilliz-byoc-sim-test';
    const tagged = [{ ContextKeyName: 'aws:RequestTag/byoc:provisioning-id', ContextKeyValues: ['sim'], ContextKeyType: 'string' as const }];
    const simulate = (input: Partial<SimulatePrincipalPolicyCommandInput>) => iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: targetAccount.roleArn, ActionNames: [], ...input }));
    const onRole = await simulate({ ActionNames: ['iam:CreateRole', 'iam:CreateUser'], ResourceArns: [`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/zilliz-byoc-sim`], ContextEntries: tagged });
    expect(onRole.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision, r.ResourceSpecificResults?.map((s) => s.EvalResourceDecision)])).toEqual([
      ['iam:CreateRole', 'allowed', ['allowed']],
      ['iam:CreateUser', 'implicitDeny', ['implicitDeny']],
    ]);
    expect(onRole.EvaluationResults?.[0].MatchedStatements).toEqual([{ SourcePolicyId: 'byoc-roles', SourcePolicyType: 'role' }]);
    // Without the tag the condition needs, IAM says which key was missing.
    const untagged = await simulate({ ActionNames: ['iam:CreateRole'], ResourceArns: [`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/zilliz-byoc-sim`] });
    expect(untagged.EvaluationResults?.[0].EvalDecision).toBe('implicitDeny');
    expect(untagged.EvaluationResults?.[0].ResourceSpecificResults?.[0].MissingContextValues).toContain('aws:RequestTag/byoc:provisioning-id');
    // A provisioner Lambda role, by its ARN: the storage steps' role may create buckets, not VPCs.
    const storageRole = process.env.BYOC_STORAGE_STEPS_ROLE_ARN!;
    expect(storageRole).toBe(`arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/byoc-provisioner-local-StorageStepsRole`);
    const own = await iamClient({ region: 'us-west-2' }).send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: storageRole, ActionNames: ['s3:GetBucketLocation', 'ec2:CreateVpc'], ResourceArns: [bucket] }));
    expect(own.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['s3:GetBucketLocation', 'allowed'],
      ['ec2:CreateVpc', 'implicitDeny'],
    ]);
    stack.realism.setFaults('deny:iam:CreateRole');
    try {
      const denied = await simulate({ ActionNames: ['iam:CreateRole'], ResourceArns: [`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/zilliz-byoc-sim`], ContextEntries: tagged });
      expect(denied.EvaluationResults?.map((r) => [r.EvalDecision, r.ResourceSpecificResults?.[0].EvalResourceDecision])).toEqual([['explicitDeny', 'explicitDeny']]);
    } finally {
      stack.realism.setFaults(undefined);
    }
  });

  it('fails a teardown without the tag-conditioned deletes, naming the delete it was refused', async () => {
    const id = 'iam-nodelete';
    outputOf(await run('byoc-provision', id, fullRequest(id, { targetAccount })));
    stack.realism.setIamSettings({ ...SETTINGS, withoutStatements: ['byoc-network/DeleteOnlyWhatTheProvisionerTagged'] });
    try {
      const teardown = await run('byoc-teardown', `${id}--teardown-1`, teardownRequest(id, { targetAccount }));
      expect(teardown.status).toBe('FAILED');
      expect(teardown.error).toBe('TeardownIncompleteError');
      // Each undo step that was refused failed with AWS's denial, translated: AccessDeniedError naming the delete.
      const failures = teardown.history.flatMap((e) => {
        const details = (e as { lambdaFunctionFailedEventDetails?: { error?: string; cause?: string } }).lambdaFunctionFailedEventDetails;
        return details ? [`${details.error}: ${details.cause}`] : [];
      });
      expect(failures.join('\n')).toMatch(/AccessDeniedError: .*not authorized to perform: ec2:Delete(Vpc|Subnet|NatGateway|SecurityGroup|RouteTable|VpcEndpoints|InternetGateway)/);
    } finally {
      stack.realism.setIamSettings(SETTINGS);
    }
    expect((await run('byoc-teardown', `${id}--teardown-2`, teardownRequest(id, { targetAccount }))).status).toBe('SUCCEEDED');
  });

  it('refuses to assume the customer role with another external ID (its trust policy), before anything is made', async () => {
    const id = 'iam-wrong-ext';
    const record = await run('byoc-provision', id, fullRequest(id, { targetAccount: { ...targetAccount, externalId: 'someone-else' } }));
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('AccessDeniedError');
    expect(record.cause).toContain('sts:AssumeRole');
    const theirs = ec2Client({ region: 'us-west-2', ...targetAccount, provisioningId: id });
    expect((await theirs.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:byoc:provisioning-id', Values: [id] }] }))).Vpcs).toEqual([]);
  });

  it('answers EC2 DryRun as AWS does: DryRunOperation when allowed, UnauthorizedOperation when not, and makes nothing', async () => {
    const ec2 = ec2Client({ region: 'us-west-2' });
    const tagged = { TagSpecifications: [{ ResourceType: 'vpc' as const, Tags: [{ Key: 'byoc:provisioning-id', Value: 'dry' }] }] };
    const dryRun = (functionName: string, input: object) => runAsFunction(functionName, () => ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', DryRun: true, ...input }))).catch((e: Error) => e);
    expect((await dryRun('CreateVpc', tagged)) as Error).toMatchObject({ name: 'DryRunOperation' });
    // Untagged: the network role may only create what carries our provisioning tag.
    const untagged = (await dryRun('CreateVpc', {})) as Error;
    expect(untagged.name).toBe('UnauthorizedOperation');
    expect(untagged.message).toMatch(/not authorized to perform: ec2:CreateVpc .*Encoded authorization failure message: \S+/);
    // A function whose role has no EC2 rights at all.
    expect(((await dryRun('Report', tagged)) as Error).name).toBe('UnauthorizedOperation');
    expect((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.9.0.0/16'] }] }))).Vpcs).toEqual([]);
  });

  it('with the permissions boundary parameter, creates roles only under that boundary', async () => {
    const boundary = `arn:aws:iam::${CUSTOMER_ACCOUNT}:policy/ByocBoundary`;
    stack.realism.setIamSettings({ customerRoleParameters: { ...SETTINGS.customerRoleParameters, PermissionsBoundaryArn: boundary } });
    try {
      const without = await run('byoc-provision', 'iam-nobound', fullRequest('iam-nobound', { targetAccount }));
      expect(without.error).toBe('AccessDeniedError');
      expect(without.cause).toContain('not authorized to perform: iam:CreateRole');
      const id = 'iam-bound';
      const request = fullRequest(id, { targetAccount }) as ReturnType<typeof fullRequest> & Record<string, Record<string, unknown>>;
      for (const role of ['iamRole', 'storageRole', 'crossAccountRole']) request[role] = { ...request[role], permissionsBoundaryArn: boundary };
      const out = outputOf<ProvisioningOutputs>(await run('byoc-provision', id, request));
      expect(out.eksRoleArn).toContain(`:${CUSTOMER_ACCOUNT}:role/`);
      expect((await run('byoc-teardown', `${id}--teardown-1`, teardownRequest(id, { targetAccount }))).status).toBe('SUCCEEDED');
    } finally {
      stack.realism.setIamSettings(SETTINGS);
    }
  });
});
