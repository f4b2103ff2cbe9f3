import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as AttachManagedPolicies } from '../../../functions/steps/attach-managed-policies';
import { handler as CreateEksRole } from '../../../functions/steps/create-eks-role';
import { handler as DeleteEksRole } from '../../../functions/steps/delete-eks-role';
import { handler as PutInlinePolicies } from '../../../functions/steps/put-inline-policies';
import { invokeLocal } from '../../../local/lambda-runtime';
import type { LocalHandler } from '../../../local/functions';
import { iamClient } from '../../../shared/aws/clients';
import type { ProvisioningConfig } from '../../../shared/config';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import { parsePolicyDocument } from '../../../shared/iam/trust-policy';
import type { EksRoleState, InlinePoliciesState, ManagedPoliciesState, PolicyDocument } from '../../../shared/iam/types';
import { verifyEksRole } from '../../../shared/iam/verify';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';

const iam = () => iamClient({ region: 'us-west-2' });
/** Every request names the cross-account role's external ID (X1); these tests only look at the EKS role. */
const X1 = { crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
const policiesDir = join(__dirname, '../../../shared/iam/policies');
const upstream = (file: string) => JSON.parse(readFileSync(join(policiesDir, `${file}.json`), 'utf8')) as PolicyDocument;
const guideTrustPolicy = (accountId: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures/guide-trust-policy.json'), 'utf8').replaceAll('{accountId}', accountId)) as PolicyDocument;
const FIVE = [
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
  'arn:aws:iam::aws:policy/AmazonEKSVPCResourceController',
];

/** Invoke a step handler as Lambda would (JSON in, JSON out, errors by name). */
const step = <T>(name: string, handler: unknown, state: unknown) => invokeLocal(name, handler as LocalHandler, state) as Promise<T>;

/** The three IAM steps of the provision branch, each given the whole state, as the state machine chains them. */
async function provisionRole(config: ProvisioningConfig) {
  const eksRole = await step<EksRoleState>('CreateEksRole', CreateEksRole, { config });
  const managedPolicies = await step<ManagedPoliciesState>('AttachManagedPolicies', AttachManagedPolicies, { config, eksRole });
  const inlinePolicies = await step<InlinePoliciesState>('PutInlinePolicies', PutInlinePolicies, { config, eksRole, managedPolicies });
  return { config, eksRole, managedPolicies, inlinePolicies };
}

/** What IAM says about the role: null when it does not exist. */
async function readRole(roleName: string) {
  try {
    const role = (await iam().send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    const attached = (await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies!.map((p) => p.PolicyArn);
    const names = (await iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames!;
    const inline: Record<string, PolicyDocument> = {};
    for (const PolicyName of names) {
      inline[PolicyName] = parsePolicyDocument((await iam().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument!);
    }
    const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key, t.Value]));
    return { role, trustPolicy: parsePolicyDocument(role.AssumeRolePolicyDocument!), attached, inline, tags };
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return null;
    throw error;
  }
}

const rolesNamed = async (roleName: string) => ((await iam().send(new ListRolesCommand({}))).Roles ?? []).filter((r) => r.RoleName === roleName);

/** A role someone else made by hand: same kind of name, no provisioning-ID tag. */
async function createForeignRole(roleName: string) {
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  await iam().send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust, Tags: [{ Key: 'team', Value: 'someone-else' }] }));
  await iam().send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: FIVE[0] }));
  return readRole(roleName);
}

describe('the EKS IAM role on moto (R1-R5)', () => {
  const moto = useMoto();
  beforeEach(() => moto.reset());

  it('moto has all five AWS managed policies the role needs (R2)', async () => {
    for (const PolicyArn of FIVE) {
      expect((await iam().send(new GetPolicyCommand({ PolicyArn }))).Policy?.Arn).toBe(PolicyArn);
    }
  });

  it('R1-R4: builds the role with exactly the guide trust policy, the five managed and the three upstream inline policies, and hands back its ARN', async () => {
    const config = testConfig(X1, 'iam-ok');
    const state = await provisionRole(config);
    const found = await readRole(config.iamRole.name);

    expect(found?.trustPolicy).toEqual(guideTrustPolicy('123456789012')); // R1
    expect(found?.trustPolicy.Statement.map((s) => s.Sid)).toEqual([undefined, 'EKSClusterAssumeRole', 'EKSNodeAssumeRole', undefined, undefined, undefined]);
    expect([...(found?.attached ?? [])].sort()).toEqual([...FIVE].sort()); // R2
    expect(state.managedPolicies.attached).toEqual(FIVE);
    expect(found?.inline).toEqual({
      'aws-load-balancer-controller': upstream('aws-load-balancer-controller'),
      'ebs-csi-driver': upstream('ebs-csi-driver'),
      'cluster-autoscaler': upstream('cluster-autoscaler'),
    }); // R3
    expect(state.inlinePolicies).toEqual({ names: ['aws-load-balancer-controller', 'ebs-csi-driver', 'cluster-autoscaler'], totalCharacters: 8360 });
    expect(state.eksRole).toEqual({ roleName: 'zilliz-byoc-demo-eks-role', roleArn: found?.role.Arn, adopted: false }); // R4
    expect(found?.role.Path).toBe('/');
    expect(found?.tags).toMatchObject({ [TAG_PROVISIONING_ID]: 'iam-ok', [TAG_RESOURCE]: 'eks-role', Vendor: 'zilliz-byoc' });
    expect(found?.role.MaxSessionDuration).toBe(3600);

    const checks = await verifyEksRole(config, state, { iam: iam() });
    expect(checks.map((c) => [c.id, c.ok])).toEqual([['R1', true], ['R2', true], ['R3', true], ['R4', true], ['R5', true]]);
    expect(checks.find((c) => c.id === 'R5')?.detail).toContain('creates none');
  });

  it('R1, R4: uses the OIDC issuer, name and permissions boundary from the request when given, at path /', async () => {
    const config = testConfig(
      {
        ...X1,
        iamRole: {
          name: 'zilliz-byoc-custom-role',
          permissionsBoundaryArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
          oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC123',
        },
      },
      'iam-custom',
    );
    await provisionRole(config);
    const found = await readRole('zilliz-byoc-custom-role');
    expect(JSON.stringify(found?.trustPolicy)).toBe(JSON.stringify(guideTrustPolicy('123456789012')).replaceAll('eks_oidc_url', 'oidc.eks.us-west-2.amazonaws.com/id/ABC123'));
    expect(found?.role.Path).toBe('/');
    expect(found?.role.PermissionsBoundary?.PermissionsBoundaryArn).toBe('arn:aws:iam::aws:policy/AmazonEKSClusterPolicy');
  });

  it('each step run twice gives the same result and one role with five managed and three inline policies', async () => {
    const config = testConfig(X1, 'iam-twice');
    const first = await provisionRole(config);
    const second = await provisionRole(config);
    expect(second.eksRole).toEqual({ ...first.eksRole, adopted: true });
    expect(second.managedPolicies).toEqual(first.managedPolicies);
    expect(second.inlinePolicies).toEqual(first.inlinePolicies);
    expect(await rolesNamed(config.iamRole.name)).toHaveLength(1);
    const found = await readRole(config.iamRole.name);
    expect(found?.attached).toHaveLength(5);
    expect(Object.keys(found?.inline ?? {})).toHaveLength(3);
  });

  it('a rerun puts our role back to the guide: trust policy restored, boundary set as asked', async () => {
    const config = testConfig(X1, 'iam-drift');
    await provisionRole(config);
    const drifted = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: config.iamRole.name, PolicyDocument: JSON.stringify(drifted) }));
    expect((await readRole(config.iamRole.name))?.trustPolicy).toEqual(drifted);
    const boundary = 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy';
    const rerun = await provisionRole({ ...config, iamRole: { ...config.iamRole, permissionsBoundaryArn: boundary } });
    const found = await readRole(config.iamRole.name);
    expect(rerun.eksRole.adopted).toBe(true);
    expect(found?.trustPolicy).toEqual(guideTrustPolicy('123456789012'));
    expect(found?.role.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
  });

  it('Verify names what is wrong: a detached managed policy (R2) and an edited inline policy (R3)', async () => {
    const config = testConfig(X1, 'iam-verify');
    const state = await provisionRole(config);
    await iam().send(new DetachRolePolicyCommand({ RoleName: config.iamRole.name, PolicyArn: FIVE[2] }));
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: config.iamRole.name,
        PolicyName: 'cluster-autoscaler',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeImages', Resource: '*' }] }),
      }),
    );
    const checks = await verifyEksRole(config, state, { iam: iam() });
    expect(checks.find((c) => c.id === 'R1')?.ok).toBe(true);
    expect(checks.find((c) => c.id === 'R2')).toMatchObject({ id: 'R2', status: 'fail', ok: false, detail: `not attached: ${FIVE[2]}`, fix: expect.any(String) });
    expect(checks.find((c) => c.id === 'R3')).toMatchObject({ id: 'R3', status: 'fail', ok: false, detail: 'inline policy cluster-autoscaler differs from the upstream document' });
  });

  it('undo leaves nothing: no role, no inline policy, no managed policy attached to it; a second undo succeeds too', async () => {
    const config = testConfig(X1, 'iam-undo');
    const state = await provisionRole(config);
    const attachedTo = async (PolicyArn: string) => ((await iam().send(new ListEntitiesForPolicyCommand({ PolicyArn }))).PolicyRoles ?? []).map((r) => r.RoleName);
    expect(await attachedTo(FIVE[0])).toEqual([config.iamRole.name]);
    const out = await step<{ deleted: string[] }>('DeleteEksRole', DeleteEksRole, state);
    expect(out).toEqual({ deleted: ['zilliz-byoc-demo-eks-role'], notFound: [], leftForeign: [] });
    expect(await readRole(config.iamRole.name)).toBeNull();
    for (const PolicyArn of FIVE) expect(await attachedTo(PolicyArn)).toEqual([]);
    // The second undo finds nothing to delete and says so: never "deleted" for a role that was not there.
    await expect(step('DeleteEksRole', DeleteEksRole, state)).resolves.toEqual({ deleted: [], notFound: ['zilliz-byoc-demo-eks-role'], leftForeign: [] });
  });

  it('undo also works from the config alone (state lost before CreateEksRole answered) and from a teardown config (by tag)', async () => {
    const config = testConfig(X1, 'iam-lost');
    await provisionRole(config);
    await step('DeleteEksRole', DeleteEksRole, { config });
    expect(await readRole(config.iamRole.name)).toBeNull();

    const again = testConfig({ ...X1, iamRole: { name: 'zilliz-byoc-teardown-role' } }, 'iam-teardown');
    await provisionRole(again);
    const out = await step('DeleteEksRole', DeleteEksRole, { config: { provisioningId: 'iam-teardown', region: 'us-west-2' } });
    expect(out).toEqual({ deleted: ['zilliz-byoc-teardown-role'], notFound: [], leftForeign: [] });
    expect(await readRole('zilliz-byoc-teardown-role')).toBeNull();
  });

  it('undo never takes the role out of an instance profile we did not create (issue 10): the role is left, policies and all, with DependencyViolationError naming the profile', async () => {
    const config = testConfig(X1, 'iam-profile');
    const state = await provisionRole(config);
    await iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: 'nodes' }));
    await iam().send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'nodes', RoleName: config.iamRole.name }));
    await expect(step('DeleteEksRole', DeleteEksRole, state)).rejects.toMatchObject({ name: 'DependencyViolationError', message: expect.stringContaining('instance profile(s) nodes') });
    const role = await readRole(config.iamRole.name);
    expect(role?.attached.sort()).toEqual([...FIVE].sort());
    expect(Object.keys(role?.inline ?? {})).toHaveLength(3);
    expect((await iam().send(new GetInstanceProfileCommand({ InstanceProfileName: 'nodes' }))).InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([config.iamRole.name]);
  });

  it('a foreign role of the same name is refused by CreateEksRole and by DeleteEksRole, and left exactly as it was', async () => {
    const config = testConfig(X1, 'iam-foreign');
    const before = await createForeignRole(config.iamRole.name);

    await expect(step('CreateEksRole', CreateEksRole, { config })).rejects.toMatchObject({ name: 'ForeignResourceError' });
    await expect(step('DeleteEksRole', DeleteEksRole, { config, eksRole: { roleName: config.iamRole.name } })).rejects.toMatchObject({
      name: 'ForeignResourceError',
    });
    // The rollback after the refused create knows the name only from the config: it leaves the role and says so.
    await expect(step('DeleteEksRole', DeleteEksRole, { config })).resolves.toEqual({ deleted: [], notFound: [], leftForeign: [config.iamRole.name] });
    await expect(step('DeleteEksRole', DeleteEksRole, { config: { provisioningId: 'iam-foreign', region: 'us-west-2' } })).resolves.toEqual({
      deleted: [],
      notFound: [],
      leftForeign: [],
    });

    const after = await readRole(config.iamRole.name);
    expect(after).toEqual(before);
  });

  it('a role that another provisioning made is not adopted either', async () => {
    await provisionRole(testConfig(X1, 'iam-first'));
    const other = testConfig(X1, 'iam-second');
    const error = await step('CreateEksRole', CreateEksRole, { config: other }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ForeignResourceError' });
    expect(JSON.parse((error as Error).message).errorMessage).toContain('belongs to provisioning iam-first');
    expect((await readRole(other.iamRole.name))?.tags[TAG_PROVISIONING_ID]).toBe('iam-first');
  });
});
