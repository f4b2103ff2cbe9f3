import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  LimitExceededException,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import {
  DependencyViolationError,
  EventualConsistencyError,
  ForeignResourceError,
  InvalidInputError,
  QuotaExceededError,
} from '../../../shared/errors';
import { INLINE_POLICIES, ROLE_INLINE_POLICY_QUOTA, putInlinePolicies, type InlinePolicy } from '../../../shared/iam/inline-policies';
import { attachManagedPolicies, managedPolicyArns } from '../../../shared/iam/managed-policies';
import { updateRoleOidc } from '../../../shared/iam/oidc';
import { createCrossAccountRole, deleteCrossAccountRole } from '../../../shared/iam/cross-account-role';
import { createEksRole, deleteEksRole } from '../../../shared/iam/role';
import { createStorageRole, deleteStorageRole } from '../../../shared/iam/storage-role';
import { policyJson, trustPolicyFor } from '../../../shared/iam/trust-policy';
import { testConfig } from '../../helpers/config';

const iam = new IAMClient({ region: 'us-east-1' });
const mock = mockClient(iam);
afterEach(() => mock.reset());

const meta = { $metadata: { httpStatusCode: 404 } };
const noSuchRole = (name: string) => new NoSuchEntityException({ message: `Role ${name} not found`, ...meta });
const config = testConfig({ crossAccountRole: { externalId: 'cid-0123456789abcdef' } }, 'p-unit');
const ourTags = [{ Key: TAG_PROVISIONING_ID, Value: 'p-unit' }];
const roleArn = `arn:aws:iam::123456789012:role/${config.iamRole.name}`;

/** An inline policy of about `characters` characters. */
const fakePolicy = (name: string, characters: number): InlinePolicy => ({
  name,
  document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: 'x'.repeat(characters) }] },
});

describe('eventual consistency right after CreateRole', () => {
  it('AttachManagedPolicies turns NoSuchEntity for the role into EventualConsistencyError (retried by the state machine)', async () => {
    mock.on(AttachRolePolicyCommand).rejects(noSuchRole(config.iamRole.name));
    mock.on(GetPolicyCommand).resolves({ Policy: { Arn: managedPolicyArns('aws')[0] } });
    await expect(attachManagedPolicies(config, { roleName: config.iamRole.name }, { iam })).rejects.toBeInstanceOf(EventualConsistencyError);
  });

  it('AttachManagedPolicies reports a managed policy missing from the partition as bad input, not as something to retry', async () => {
    mock.on(AttachRolePolicyCommand).rejects(new NoSuchEntityException({ message: 'Policy does not exist or is not attachable.', ...meta }));
    mock.on(GetPolicyCommand).rejects(new NoSuchEntityException({ message: 'Policy not found', ...meta }));
    const error = await attachManagedPolicies(config, { roleName: config.iamRole.name }, { iam }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain('AmazonEC2ContainerRegistryReadOnly does not exist in this partition');
  });

  it('PutInlinePolicies turns NoSuchEntity for the role into EventualConsistencyError', async () => {
    mock.on(PutRolePolicyCommand).rejects(noSuchRole(config.iamRole.name));
    await expect(putInlinePolicies(config, { roleName: config.iamRole.name }, { iam })).rejects.toBeInstanceOf(EventualConsistencyError);
  });

  it('other IAM errors are translated as usual (LimitExceeded is a quota, not eventual consistency)', async () => {
    mock.on(PutRolePolicyCommand).rejects(new LimitExceededException({ message: 'Maximum policy size exceeded', ...meta }));
    await expect(putInlinePolicies(config, { roleName: config.iamRole.name }, { iam })).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('R2: attaches the five managed policies by the ARN of the config\'s partition', async () => {
    mock.on(AttachRolePolicyCommand).resolves({});
    const out = await attachManagedPolicies({ ...config, partition: 'aws-us-gov' }, { roleName: 'r' }, { iam });
    const sent = mock.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn);
    expect(sent).toEqual(out.attached);
    expect(sent).toEqual([
      'arn:aws-us-gov:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
      'arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy',
      'arn:aws-us-gov:iam::aws:policy/AmazonEKSWorkerNodePolicy',
      'arn:aws-us-gov:iam::aws:policy/AmazonEKSClusterPolicy',
      'arn:aws-us-gov:iam::aws:policy/AmazonEKSVPCResourceController',
    ]);
  });
});

describe('the inline policy quota (R3)', () => {
  const oversized = [fakePolicy('a', 4000), fakePolicy('b', 4000), fakePolicy('c', 4000)];

  it('R3: the real three fit, and PutInlinePolicies reports their size and sends them minified', async () => {
    mock.on(PutRolePolicyCommand).resolves({});
    const out = await putInlinePolicies(config, { roleName: 'r' }, { iam });
    expect(out).toEqual({ names: ['aws-load-balancer-controller', 'ebs-csi-driver', 'cluster-autoscaler'], totalCharacters: 8360 });
    const sent = mock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input);
    expect(sent.map((i) => i.PolicyDocument)).toEqual(INLINE_POLICIES.map((p) => policyJson(p.document)));
    expect(sent.every((i) => !/\s/.test(i.PolicyDocument ?? ' '))).toBe(true);
  });

  it('R3: an oversized set fails PutInlinePolicies with a QuotaExceededError naming sizes and quota, before any IAM call', async () => {
    const error = await putInlinePolicies(config, { roleName: 'r' }, { iam }, oversized).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(/would total 12,\d{3} characters .*over IAM's quota of 10,240 characters per role/);
    expect((error as Error).message).toContain('a: 4,');
    expect(mock.calls()).toHaveLength(0);
  });

  it('R3: CreateEksRole refuses an oversized set before creating the role', async () => {
    await expect(createEksRole(config, { iam }, oversized)).rejects.toBeInstanceOf(QuotaExceededError);
    expect(mock.calls()).toHaveLength(0);
  });

  it('a set exactly at the quota is accepted', async () => {
    const base = fakePolicy('a', 0);
    const overhead = policyJson(base.document).length;
    mock.on(PutRolePolicyCommand).resolves({});
    const out = await putInlinePolicies(config, { roleName: 'r' }, { iam }, [fakePolicy('a', ROLE_INLINE_POLICY_QUOTA - overhead)]);
    expect(out.totalCharacters).toBe(ROLE_INLINE_POLICY_QUOTA);
  });
});

describe('CreateEksRole', () => {
  it('R1, R4: creates the role at path / with the guide trust policy, the config\'s boundary, and our tags', async () => {
    mock.on(GetRoleCommand).rejects(noSuchRole(config.iamRole.name));
    mock.on(CreateRoleCommand).resolves({ Role: { RoleName: config.iamRole.name, Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date() } });
    const withBoundary = { ...config, iamRole: { ...config.iamRole, permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/boundary' } };
    const out = await createEksRole(withBoundary, { iam });
    expect(out).toEqual({ roleName: config.iamRole.name, roleArn, adopted: false });
    const input = mock.commandCalls(CreateRoleCommand)[0].args[0].input;
    expect(JSON.parse(input.AssumeRolePolicyDocument ?? '')).toEqual(trustPolicyFor(config));
    expect(input.Path).toBe('/');
    expect(input.PermissionsBoundary).toBe('arn:aws:iam::123456789012:policy/boundary');
    expect(input.MaxSessionDuration).toBeUndefined();
    expect(input.Tags).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'p-unit' }, { Key: TAG_RESOURCE, Value: 'eks-role' }, { Key: 'Vendor', Value: 'zilliz-byoc' }]));
  });

  it('adopts the role when a parallel attempt created it between look-up and create (EntityAlreadyExists) and it is ours', async () => {
    const policy = encodeURIComponent(policyJson(trustPolicyFor(config)));
    mock
      .on(GetRoleCommand)
      .rejectsOnce(noSuchRole(config.iamRole.name))
      .resolves({ Role: { RoleName: config.iamRole.name, Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), AssumeRolePolicyDocument: policy, Tags: ourTags } });
    mock.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'exists', ...meta }));
    mock.on(TagRoleCommand).resolves({});
    await expect(createEksRole(config, { iam })).resolves.toEqual({ roleName: config.iamRole.name, roleArn, adopted: true });
    expect(mock.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(0);
  });

  it('refuses a role of the same name that another provisioning owns, naming that provisioning', async () => {
    mock.on(GetRoleCommand).resolves({
      Role: { RoleName: config.iamRole.name, Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: [{ Key: TAG_PROVISIONING_ID, Value: 'p-other' }] },
    });
    const error = await createEksRole(config, { iam }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForeignResourceError);
    expect((error as Error).message).toContain('belongs to provisioning p-other');
    expect(mock.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(0);
    expect(mock.commandCalls(TagRoleCommand)).toHaveLength(0);
  });
});

describe('DeleteEksRole', () => {
  it('maps IAM\'s DeleteConflict ("still in use") to the retryable DependencyViolationError', async () => {
    mock.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: ourTags } });
    mock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    mock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    mock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    mock.on(DeleteRoleCommand).rejects(new DeleteConflictException({ message: 'Cannot delete entity, must remove roles from instance profile first.', ...meta }));
    await expect(deleteEksRole(config, { roleName: 'r' }, { iam })).rejects.toBeInstanceOf(DependencyViolationError);
  });
});

describe('UpdateRoleOidc input', () => {
  it('names oidcIssuerUrl when the URL is not https://host/path, and calls IAM not at all', async () => {
    const error = await updateRoleOidc({ provisioningId: 'p-unit', region: 'us-west-2', roleName: 'r', oidcIssuerUrl: 'http://oidc.example.com/id/1' }, { iam }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems).toEqual([expect.objectContaining({ field: 'oidcIssuerUrl' })]);
    expect(mock.calls()).toHaveLength(0);
  });

  it('names roleName and provisioningId when they are unusable', async () => {
    const error = await updateRoleOidc({ provisioningId: '', region: 'us-west-2', roleName: 'a/b', oidcIssuerUrl: 'https://oidc.example.com/id/1' }, { iam }).catch((e: unknown) => e);
    expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual(['provisioningId', 'roleName']);
  });
});

describe('the storage and cross-account roles share the EKS role\'s code (S2, X1)', () => {
  const x1Config = testConfig({ crossAccountRole: { externalId: 'cid-0123456789abcdef' } }, 'p-unit');

  it('X1: CreateCrossAccountRole checks the policy size before any IAM call', async () => {
    const huge = { ...x1Config, iamRole: { ...x1Config.iamRole, name: `zilliz-byoc-${'x'.repeat(5_000)}` } };
    const error = await createCrossAccountRole(huge, { iam }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual(['iamRole.name']);
    expect(mock.calls()).toHaveLength(0);
  });

  it('S2: CreateStorageRole creates the role at path / with its tags, then puts its inline policy', async () => {
    mock.on(GetRoleCommand).rejects(noSuchRole(x1Config.storageRole.name));
    mock.on(CreateRoleCommand).resolves({ Role: { RoleName: x1Config.storageRole.name, Arn: 'arn:aws:iam::123456789012:role/s', Path: '/', RoleId: 'x', CreateDate: new Date() } });
    mock.on(PutRolePolicyCommand).resolves({});
    await expect(createStorageRole(x1Config, { iam })).resolves.toEqual({ roleName: 'zilliz-byoc-demo-storage-role', roleArn: 'arn:aws:iam::123456789012:role/s', adopted: false });
    const input = mock.commandCalls(CreateRoleCommand)[0].args[0].input;
    expect(input.Path).toBe('/');
    expect(input.Tags).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'p-unit' }, { Key: TAG_RESOURCE, Value: 'storage-role' }]));
    expect(mock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.PolicyName)).toEqual(['zilliz-byoc-storage-policy']);
  });

  it('a role that vanished between the look-up and DeleteRole is reported notFound, not deleted', async () => {
    mock.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: ourTags } });
    mock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    mock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    mock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    mock.on(DeleteRoleCommand).rejects(noSuchRole('r'));
    await expect(deleteEksRole({ provisioningId: 'p-unit', region: 'us-west-2' }, { roleName: 'r' }, { iam })).resolves.toEqual({ deleted: [], notFound: ['r'], leftForeign: [] });
  });

  it('no delete ever takes a role out of an instance profile (we create none: issue 10); a role in one is left untouched', async () => {
    mock.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: ourTags } });
    mock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    mock.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    mock.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['zilliz-byoc-storage-policy'] });
    mock.on(DeleteRolePolicyCommand).resolves({});
    mock.on(DeleteRoleCommand).resolves({});
    await expect(deleteStorageRole(x1Config, { roleName: 'r' }, { iam })).resolves.toEqual({ deleted: ['r', x1Config.storageRole.name], notFound: [], leftForeign: [] });
    await expect(deleteCrossAccountRole({ provisioningId: 'p-unit', region: 'us-west-2' }, { roleName: 'r' }, { iam })).resolves.toEqual({ deleted: ['r'], notFound: [], leftForeign: [] });

    mock.reset();
    mock.on(GetRoleCommand).resolves({ Role: { RoleName: 'r', Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: ourTags } });
    mock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [{ InstanceProfileName: 'nodes', Arn: 'arn:aws:iam::123456789012:instance-profile/nodes', InstanceProfileId: 'x', Path: '/', CreateDate: new Date(), Roles: [] }] });
    for (const del of [() => deleteEksRole(config, { roleName: 'r' }, { iam }), () => deleteStorageRole(x1Config, { roleName: 'r' }, { iam })]) {
      const error = await del().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyViolationError);
      expect((error as Error).message).toContain('instance profile(s) nodes');
    }
    // Left exactly as it is: no policy detached or deleted (the nodes using it keep working), never taken out of the profile.
    expect(mock.commandCalls(RemoveRoleFromInstanceProfileCommand)).toHaveLength(0);
    expect(mock.commandCalls(ListAttachedRolePoliciesCommand)).toHaveLength(0);
    expect(mock.commandCalls(DeleteRoleCommand)).toHaveLength(0);
  });
});

describe('a real OIDC issuer set later survives a re-run (R1, S2)', () => {
  const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/SETLATER';
  const ourRoleWith = (trust: unknown) => ({
    Role: { RoleName: config.iamRole.name, Arn: roleArn, Path: '/', RoleId: 'x', CreateDate: new Date(), AssumeRolePolicyDocument: encodeURIComponent(policyJson(trust)), Tags: ourTags },
  });

  it('R1: CreateEksRole with no issuer in the config keeps the issuer found in the role: no trust policy update', async () => {
    const withIssuer = { ...config, iamRole: { ...config.iamRole, oidcIssuer: ISSUER } };
    mock.on(GetRoleCommand).resolves(ourRoleWith(trustPolicyFor(withIssuer)));
    mock.on(TagRoleCommand).resolves({});
    await expect(createEksRole(config, { iam })).resolves.toMatchObject({ adopted: true });
    expect(mock.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(0);
  });

  it('R1: a config with an issuer still sets that issuer over the one found', async () => {
    const next = { ...config, iamRole: { ...config.iamRole, oidcIssuer: 'oidc.eks.us-west-2.amazonaws.com/id/NEXT' } };
    mock.on(GetRoleCommand).resolves(ourRoleWith(trustPolicyFor({ ...config, iamRole: { ...config.iamRole, oidcIssuer: ISSUER } })));
    mock.on(TagRoleCommand).resolves({});
    mock.on(UpdateAssumeRolePolicyCommand).resolves({});
    await createEksRole(next, { iam });
    expect(JSON.parse(mock.commandCalls(UpdateAssumeRolePolicyCommand)[0].args[0].input.PolicyDocument ?? '')).toEqual(trustPolicyFor(next));
  });
});

describe('UpdateRoleOidc input with the storage role (S2)', () => {
  it('names storageRoleName when it is unusable or names the EKS role, and calls IAM not at all', async () => {
    const base = { provisioningId: 'p-unit', region: 'us-west-2', roleName: 'zilliz-byoc-demo-eks-role', oidcIssuerUrl: 'https://oidc.example.com/id/1' };
    for (const storageRoleName of ['a/b', 'zilliz-byoc-demo-eks-role']) {
      const error = await updateRoleOidc({ ...base, storageRoleName }, { iam }).catch((e: unknown) => e);
      expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual(['storageRoleName']);
    }
    expect(mock.calls()).toHaveLength(0);
  });
});
