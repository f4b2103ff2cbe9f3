import { createIamEnforcement, LOCAL_ACCOUNT_ID } from '../../../local/realism/iam';
import { localStepRoleArns } from '../../../local/realism/iam/enforcement';
import { simulatedResultsOf, simulationResponse, withDenies } from '../../../local/realism/iam/simulation';

/**
 * Issue 11: iam:SimulatePrincipalPolicy on the local stack, answered by IAM enforcement from the principal's real
 * policies (deploy/customer-role.yaml, serverless.yml), in IAM's format (the Preflight reads it as on AWS).
 */
const CUSTOMER_ROLE = 'arn:aws:iam::111122223333:role/ZillizByocProvisioner';
const client = { service: 'iam', target: { region: 'us-west-2' }, credentials: undefined };
const tagged = [{ ContextKeyName: 'aws:RequestTag/byoc:provisioning-id', ContextKeyValues: ['p1'], ContextKeyType: 'string' }];

describe('the policy simulation, answered by IAM enforcement', () => {
  const enforcement = createIamEnforcement({ customerRoleParameters: { ExternalId: 'x' } });

  it('evaluates each action on each resource against the customer role, with the most restrictive decision on top', async () => {
    const ours = 'arn:aws:iam::111122223333:role/zilliz-byoc-p1-eks';
    const results = await enforcement.simulate(client, { PolicySourceArn: CUSTOMER_ROLE, ActionNames: ['iam:CreateRole', 's3:ListAllMyBuckets'], ResourceArns: [ours, 'arn:aws:iam::111122223333:role/Admin'], ContextEntries: tagged });
    expect(results?.map((r) => [r.action, r.decision, r.resourceSpecific?.map((s) => s.decision)])).toEqual([
      // Only roles named as ours may be made.
      ['iam:CreateRole', 'implicitDeny', ['allowed', 'implicitDeny']],
      // An action without resource-level permissions: the role's Resource '*' allows it whatever ARN is asked about.
      ['s3:ListAllMyBuckets', 'allowed', ['allowed', 'allowed']],
    ]);
    expect(results?.[0].resourceSpecific?.[0].matchedStatements).toEqual([{ sourcePolicyId: 'byoc-roles', sourcePolicyType: 'role' }]);
  });

  it('lists the context keys a statement tests that the request did not give; without ResourceArns, one result on * at the top', async () => {
    const ours = 'arn:aws:iam::111122223333:role/zilliz-byoc-p1-eks';
    const [untagged] = (await enforcement.simulate(client, { PolicySourceArn: CUSTOMER_ROLE, ActionNames: ['iam:CreateRole'], ResourceArns: [ours] }))!;
    expect(untagged.decision).toBe('implicitDeny');
    expect(untagged.missingContextValues).toEqual([]);
    expect(untagged.resourceSpecific?.[0].missingContextValues).toContain('aws:RequestTag/byoc:provisioning-id');
    const [list] = (await enforcement.simulate(client, { PolicySourceArn: CUSTOMER_ROLE, ActionNames: ['iam:ListRoles'] }))!;
    expect(list).toMatchObject({ resourceName: '*', decision: 'allowed', matchedStatements: [{ sourcePolicyId: 'byoc-roles', sourcePolicyType: 'role' }] });
    expect(list.resourceSpecific).toBeUndefined();
  });

  it('evaluates a provisioner step role by its ARN; knows no policies of a user (undefined: answered without enforcement)', async () => {
    const roles = localStepRoleArns();
    expect(roles.storage).toBe(`arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/byoc-provisioner-local-StorageStepsRole`);
    const storage = await enforcement.simulate(client, { PolicySourceArn: roles.storage, ActionNames: ['s3:GetBucketLocation', 'iam:CreateRole'], ResourceArns: ['arn:aws:s3:::zilliz-byoc-b'] });
    expect(storage?.map((r) => r.decision)).toEqual(['allowed', 'implicitDeny']);
    expect(await enforcement.simulate(client, { PolicySourceArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/moto`, ActionNames: ['s3:GetBucketLocation'] })).toBeUndefined();
  });

  it('a deny: rule turns an action into an explicit deny, carried on the wire answer for the next answerer', async () => {
    const results = (await enforcement.simulate(client, { PolicySourceArn: CUSTOMER_ROLE, ActionNames: ['iam:CreateRole', 'iam:GetRole'], ResourceArns: ['arn:aws:iam::111122223333:role/zilliz-byoc-p1-eks'], ContextEntries: tagged }))!;
    const amended = withDenies(results, (action) => action === 'iam:CreateRole');
    expect(amended.map((r) => [r.decision, r.resourceSpecific?.[0].decision])).toEqual([
      ['explicitDeny', 'explicitDeny'],
      [results[1].decision, results[1].resourceSpecific?.[0].decision],
    ]);
    const response = simulationResponse(amended);
    expect(simulatedResultsOf(response)).toBe(amended);
    expect(response.body.toString()).toContain('<EvalActionName>iam:CreateRole</EvalActionName><EvalResourceName>arn:aws:iam::111122223333:role/zilliz-byoc-p1-eks</EvalResourceName><EvalDecision>explicitDeny</EvalDecision>');
  });
});
