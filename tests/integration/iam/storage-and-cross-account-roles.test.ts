import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as CreateCrossAccountRole } from '../../../functions/steps/create-cross-account-role';
import { handler as CreateEksRole } from '../../../functions/steps/create-eks-role';
import { handler as CreateStorageRole } from '../../../functions/steps/create-storage-role';
import { handler as DeleteCrossAccountRole } from '../../../functions/steps/delete-cross-account-role';
import { handler as DeleteEksRole } from '../../../functions/steps/delete-eks-role';
import { handler as DeleteStorageRole } from '../../../functions/steps/delete-storage-role';
import { handler as UpdateRoleOidc } from '../../../functions/steps/update-role-oidc';
import type { LocalHandler } from '../../../local/functions';
import { invokeLocal } from '../../../local/lambda-runtime';
import { installRealism } from '../../../local/realism';
import { clearClientCache, iamClient } from '../../../shared/aws/clients';
import type { ProvisioningConfig } from '../../../shared/config';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import type { UpdateRoleOidcResult } from '../../../shared/iam/oidc';
import { parsePolicyDocument, policyJson } from '../../../shared/iam/trust-policy';
import type { DeleteRolesResult, PolicyDocument, RoleState } from '../../../shared/iam/types';
import { verifyCrossAccountRole, verifyEksRole, verifyIamRoles, verifyStorageRole } from '../../../shared/iam/verify';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';

const iam = () => iamClient({ region: 'us-west-2' });
const EXTERNAL_ID = 'cid-0123456789abcdef';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const BUCKET = 'zilliz-byoc-demo-milvus-test';
const KMS_KEY = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** A config as ValidateInput makes it, with the bucket named so the expected documents are easy to write. */
const configFor = (provisioningId: string, extra: Record<string, unknown> = {}): ProvisioningConfig =>
  testConfig({ crossAccountRole: { externalId: EXTERNAL_ID }, bucket: { name: BUCKET }, ...extra }, provisioningId);

// The vendor's reference documents (tests/fixtures/vendor-byoc, copied unchanged), placeholders filled by text.
const fixture = (file: string, fill: Record<string, string>) =>
  JSON.parse(
    Object.entries(fill).reduce((out, [token, value]) => out.replaceAll(token, value), readFileSync(join(__dirname, '../../fixtures/vendor-byoc', file), 'utf8')),
  ) as PolicyDocument;
const storageTrust = (issuer?: string) => fixture('storage-role-trust.json', { '{accountId}': '123456789012', ...(issuer ? { eks_oidc_url: issuer } : {}) });

/** Invoke a step handler as Lambda would (JSON in, JSON out, errors by name). */
const step = <T>(name: string, handler: unknown, input: unknown) => invokeLocal(name, handler as LocalHandler, input) as Promise<T>;
const errorMessage = (error: unknown) => JSON.parse((error as Error).message).errorMessage as string;

/** The step acts, but its first answer is lost (the caller sees a retryable error); the retry runs it again. */
function loseFirstAnswer(name: string, handler: unknown) {
  let calls = 0;
  return async (input: unknown) => {
    const result = await step(name, handler, input);
    if (++calls === 1) throw Object.assign(new Error(`${name}: injected lost response (the step had acted)`), { name: 'RetryableAwsError' });
    return result;
  };
}

/** What IAM says about a role: null when it does not exist. */
async function readRole(roleName: string) {
  try {
    const role = (await iam().send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    const names = (await iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames!;
    const inline: Record<string, PolicyDocument> = {};
    for (const PolicyName of names) {
      inline[PolicyName] = parsePolicyDocument((await iam().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument!);
    }
    const attached = (await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies!.map((p) => p.PolicyArn);
    const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key, t.Value]));
    return { role, trustPolicy: parsePolicyDocument(role.AssumeRolePolicyDocument!), inline, attached, tags };
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return null;
    throw error;
  }
}

const rolesNamed = async (roleName: string) => ((await iam().send(new ListRolesCommand({}))).Roles ?? []).filter((r) => r.RoleName === roleName);
const allRoleNames = async () => ((await iam().send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName);

/** A role someone else made by hand with the name we want: no provisioning-ID tag. */
async function createForeignRole(roleName: string) {
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  await iam().send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust, Tags: [{ Key: 'team', Value: 'someone-else' }] }));
  await iam().send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'theirs', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] }) }));
  return readRole(roleName);
}

/** The two new roles, each with its steps, names and expected inline policy. */
const KINDS = [
  {
    id: 'S2',
    create: ['CreateStorageRole', CreateStorageRole],
    remove: ['DeleteStorageRole', DeleteStorageRole],
    stateKey: 'storageRole',
    resource: 'storage-role',
    nameOf: (config: ProvisioningConfig) => config.storageRole.name,
    policyName: 'zilliz-byoc-storage-policy',
    trust: () => storageTrust(),
    policy: () => fixture('storage-role-policy.json', { '{bucketName}': BUCKET }),
    verify: verifyStorageRole,
  },
  {
    id: 'X1',
    create: ['CreateCrossAccountRole', CreateCrossAccountRole],
    remove: ['DeleteCrossAccountRole', DeleteCrossAccountRole],
    stateKey: 'crossAccountRole',
    resource: 'cross-account-role',
    nameOf: (config: ProvisioningConfig) => config.crossAccountRole.name,
    policyName: 'zilliz-byoc-cross-account-policy',
    trust: () => fixture('cross-account-trust.json', { '{externalId}': EXTERNAL_ID }),
    policy: () => fixture('cross-account-policy.json', { '{name}': 'demo', '{bucketName}': BUCKET }),
    verify: verifyCrossAccountRole,
  },
] as const;

describe('the storage role (S2) and the cross-account role (X1) on moto', () => {
  const moto = useMoto();
  beforeEach(() => moto.reset());

  describe.each(KINDS)('$id', (kind) => {
    const [createName, createHandler] = kind.create;
    const [removeName, removeHandler] = kind.remove;
    const create = (config: ProvisioningConfig) => step<RoleState>(createName, createHandler, { config });
    const remove = (input: unknown) => step<DeleteRolesResult>(removeName, removeHandler, input);

    it(`${kind.id}: creates the role with the vendor's trust and inline policy, tagged, at path /; twice gives one role`, async () => {
      const config = configFor(`${kind.id}-twice`);
      const first = await create(config);
      const second = await create(config);
      const name = kind.nameOf(config);
      const found = await readRole(name);

      expect(first).toEqual({ roleName: name, roleArn: `arn:aws:iam::123456789012:role/${name}`, adopted: false });
      expect(second).toEqual({ ...first, adopted: true });
      expect(await rolesNamed(name)).toHaveLength(1);
      expect(found?.trustPolicy).toEqual(kind.trust());
      expect(found?.inline).toEqual({ [kind.policyName]: kind.policy() });
      expect(found?.attached).toEqual([]);
      expect(found?.role.Path).toBe('/');
      expect(found?.tags).toMatchObject({ [TAG_PROVISIONING_ID]: config.provisioningId, [TAG_RESOURCE]: kind.resource, Vendor: 'zilliz-byoc', Name: `demo-${kind.resource}` });
      expect(await kind.verify(config, { [kind.stateKey]: second }, { iam: iam() })).toMatchObject({ id: kind.id, status: 'pass', ok: true });
    });

    it(`${kind.id}: a lost answer (the step acted, the caller never heard) leaves one role, adopted by the retry`, async () => {
      const config = configFor(`${kind.id}-lost`);
      const lossy = loseFirstAnswer(createName, createHandler);
      await expect(lossy({ config })).rejects.toMatchObject({ name: 'RetryableAwsError' });
      await expect(lossy({ config })).resolves.toMatchObject({ roleName: kind.nameOf(config), adopted: true });
      expect(await rolesNamed(kind.nameOf(config))).toHaveLength(1);
      expect(Object.keys((await readRole(kind.nameOf(config)))?.inline ?? {})).toEqual([kind.policyName]);
    });

    it(`${kind.id}: a lost CreateRole response (AWS made the role) is retried into the same role, which then gets its policy`, async () => {
      const config = configFor(`${kind.id}-lose-response`);
      const realism = installRealism({ profile: 'instant', faults: 'CreateRole:lose-response', seed: 1 });
      clearClientCache();
      try {
        await expect(create(config)).rejects.toMatchObject({ name: 'RetryableAwsError' });
        expect(await rolesNamed(kind.nameOf(config))).toHaveLength(1); // AWS acted
        expect((await readRole(kind.nameOf(config)))?.inline).toEqual({}); // the policy was never put
        await expect(create(config)).resolves.toMatchObject({ adopted: true });
        expect(realism.events.map((e) => [e.kind, e.operation])).toEqual([['lose-response', 'CreateRole']]);
      } finally {
        realism.uninstall();
        clearClientCache();
      }
      expect(await rolesNamed(kind.nameOf(config))).toHaveLength(1);
      expect((await readRole(kind.nameOf(config)))?.inline).toEqual({ [kind.policyName]: kind.policy() });
    });

    it(`${kind.id}: a foreign role of the same name is refused by the create and the delete, and left exactly as it was`, async () => {
      const config = configFor(`${kind.id}-foreign`);
      const name = kind.nameOf(config);
      const before = await createForeignRole(name);

      const refused = await create(config).catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'ForeignResourceError' });
      expect(errorMessage(refused)).toContain(`Choose another ${kind.stateKey}.name`);
      await expect(remove({ config, [kind.stateKey]: { roleName: name } })).rejects.toMatchObject({ name: 'ForeignResourceError' });
      // The rollback after the refused create knows the name only from the config: it leaves the role and says so.
      await expect(remove({ config })).resolves.toEqual({ deleted: [], notFound: [], leftForeign: [name] });
      await expect(remove({ config: { provisioningId: config.provisioningId, region: 'us-west-2' } })).resolves.toEqual({ deleted: [], notFound: [], leftForeign: [] });

      expect(await readRole(name)).toEqual(before);
    });

    it(`${kind.id}: the delete removes only our role, by the state's and the configured name; a second delete says notFound`, async () => {
      const config = configFor(`${kind.id}-delete`);
      const state = { config, [kind.stateKey]: await create(config) };
      const name = kind.nameOf(config);
      await expect(remove(state)).resolves.toEqual({ deleted: [name], notFound: [], leftForeign: [] });
      expect(await readRole(name)).toBeNull();
      await expect(remove(state)).resolves.toEqual({ deleted: [], notFound: [name], leftForeign: [] });
    });

    it(`${kind.id}: a teardown that knows no names finds the role by our tag and its kind, and leaves the other roles`, async () => {
      const config = configFor(`${kind.id}-by-tag`);
      await step('CreateEksRole', CreateEksRole, { config });
      await step('CreateStorageRole', CreateStorageRole, { config });
      await step('CreateCrossAccountRole', CreateCrossAccountRole, { config });
      const others = [config.iamRole.name, config.storageRole.name, config.crossAccountRole.name].filter((n) => n !== kind.nameOf(config));

      await expect(remove({ config: { provisioningId: config.provisioningId, region: 'us-west-2' } })).resolves.toEqual({ deleted: [kind.nameOf(config)], notFound: [], leftForeign: [] });
      expect((await allRoleNames()).sort()).toEqual(others.sort());
    });
  });

  it('X1: the size check fails with InvalidInputError naming the field before anything is created', async () => {
    const config = configFor('X1-size');
    const huge = { ...config, iamRole: { ...config.iamRole, name: `zilliz-byoc-${'x'.repeat(5_000)}` } };
    const error = await step('CreateCrossAccountRole', CreateCrossAccountRole, { config: huge }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidInputError' });
    expect(errorMessage(error)).toMatch(/iamRole\.name: is 5,012 characters long, which makes the cross-account role's inline policy \(X1\) [\d,]+ characters .*over IAM's 10,240 per role/);
    expect(await allRoleNames()).toEqual([]);
  });

  it('S2: with the bucket\'s KMS key the inline policy also allows kms:Decrypt and kms:GenerateDataKey* on that key', async () => {
    const config = configFor('S2-kms', { bucket: { name: BUCKET, kmsKeyArn: KMS_KEY } });
    const storageRole = await step<RoleState>('CreateStorageRole', CreateStorageRole, { config });
    const policy = (await readRole(config.storageRole.name))?.inline['zilliz-byoc-storage-policy'];
    expect(policy?.Statement.slice(0, 2)).toEqual(fixture('storage-role-policy.json', { '{bucketName}': BUCKET }).Statement);
    expect(policy?.Statement[2]).toEqual({ Sid: 'AllowKmsKeyOfBucket', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: [KMS_KEY] });
    expect((await verifyStorageRole(config, { storageRole }, { iam: iam() })).ok).toBe(true);
  });

  it('S2, X1: Verify reads the roles back and names what is wrong (edited inline policy, edited trust, missing tag)', async () => {
    const config = configFor('verify-drift');
    const storageRole = await step<RoleState>('CreateStorageRole', CreateStorageRole, { config });
    const crossAccountRole = await step<RoleState>('CreateCrossAccountRole', CreateCrossAccountRole, { config });
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: config.storageRole.name,
        PolicyName: 'zilliz-byoc-storage-policy',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      }),
    );
    await iam().send(new UntagRoleCommand({ RoleName: config.storageRole.name, TagKeys: ['Vendor'] }));
    const wrongId = fixture('cross-account-trust.json', { '{externalId}': 'cid-somebody-else' });
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: config.crossAccountRole.name, PolicyDocument: policyJson(wrongId) }));

    const s2 = await verifyStorageRole(config, { storageRole }, { iam: iam() });
    expect(s2).toMatchObject({ id: 'S2', status: 'fail', ok: false, fix: expect.stringContaining('CreateStorageRole') });
    expect(s2.detail).toContain('inline policy zilliz-byoc-storage-policy differs from the vendor\'s reference');
    expect(s2.detail).toContain('tag Vendor is missing, not "zilliz-byoc"');
    const x1 = await verifyCrossAccountRole(config, { crossAccountRole }, { iam: iam() });
    expect(x1).toMatchObject({ id: 'X1', status: 'fail', ok: false });
    expect(x1.detail).toContain('trust policy differs');

    // A re-run of the create steps puts both back.
    await step('CreateStorageRole', CreateStorageRole, { config });
    await step('CreateCrossAccountRole', CreateCrossAccountRole, { config });
    const eksRole = await step<RoleState>('CreateEksRole', CreateEksRole, { config });
    const checks = await verifyIamRoles(config, { eksRole, storageRole, crossAccountRole }, { iam: iam() });
    expect(checks.map((c) => [c.id, c.ok])).toEqual([['R1', true], ['R2', false], ['R3', false], ['R4', true], ['R5', true], ['S2', true], ['X1', true]]);
  });
});

describe('a real OIDC issuer, once set, is kept (R1, S2)', () => {
  const moto = useMoto();
  beforeEach(() => moto.reset());

  /** CreateEksRole and CreateStorageRole, as the provision branch runs them. */
  async function createBoth(config: ProvisioningConfig) {
    const eksRole = await step<RoleState>('CreateEksRole', CreateEksRole, { config });
    const storageRole = await step<RoleState>('CreateStorageRole', CreateStorageRole, { config });
    return { eksRole, storageRole };
  }
  const trustOf = async (roleName: string) => (await readRole(roleName))!.trustPolicy;

  it('R1, S2: update-oidc with the storage role name sets the issuer in both trust policies, changing only the OIDC parts', async () => {
    const config = configFor('oidc-both');
    const roles = await createBoth(config);
    const eksBefore = JSON.stringify(await trustOf(config.iamRole.name));
    const storageBefore = JSON.stringify(await trustOf(config.storageRole.name));

    const out = await step<UpdateRoleOidcResult>('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: config.provisioningId,
      region: 'us-west-2',
      roleName: config.iamRole.name,
      storageRoleName: config.storageRole.name,
      oidcIssuerUrl: `https://${ISSUER}/`,
    });

    expect(JSON.stringify(await trustOf(config.iamRole.name))).toBe(eksBefore.replaceAll('eks_oidc_url', ISSUER));
    expect(JSON.stringify(await trustOf(config.storageRole.name))).toBe(storageBefore.replaceAll('eks_oidc_url', ISSUER));
    expect(await trustOf(config.storageRole.name)).toEqual(storageTrust(ISSUER));
    expect(out).toEqual({
      roleArn: roles.eksRole.roleArn,
      trustPolicy: await trustOf(config.iamRole.name),
      storageRole: { roleArn: roles.storageRole.roleArn, trustPolicy: storageTrust(ISSUER) },
    });
  });

  it('R1, S2: a re-run of the create steps with no issuer in the config keeps the issuer; Verify passes R1 and S2', async () => {
    const config = configFor('oidc-rerun');
    await createBoth(config);
    await step('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: config.provisioningId,
      region: 'us-west-2',
      roleName: config.iamRole.name,
      storageRoleName: config.storageRole.name,
      oidcIssuerUrl: `https://${ISSUER}`,
    });
    const eksSet = await trustOf(config.iamRole.name);

    const rerun = await createBoth(config); // a retry or re-run of the provision branch: the config still has no issuer
    expect(rerun.eksRole.adopted && rerun.storageRole.adopted).toBe(true);
    expect(await trustOf(config.iamRole.name)).toEqual(eksSet);
    expect(await trustOf(config.storageRole.name)).toEqual(storageTrust(ISSUER));
    expect(JSON.stringify(await trustOf(config.iamRole.name))).not.toContain('eks_oidc_url');

    expect((await verifyEksRole(config, rerun, { iam: iam() })).find((c) => c.id === 'R1')).toMatchObject({ ok: true, detail: expect.stringContaining('set after the provisioning and kept') });
    expect(await verifyStorageRole(config, rerun, { iam: iam() })).toMatchObject({ ok: true });
  });

  it('R1, S2: an issuer the vendor put in the trust policies itself is kept too; a config with an issuer sets that one', async () => {
    const config = configFor('oidc-vendor');
    await createBoth(config);
    // The vendor's cross-account permissions may update the trust of role/zilliz-byoc* (IAMUpdateTrustPolicyForEKSRole).
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: config.storageRole.name, PolicyDocument: policyJson(storageTrust(ISSUER)) }));
    await createBoth(config);
    expect(await trustOf(config.storageRole.name)).toEqual(storageTrust(ISSUER));

    const next = 'oidc.eks.us-west-2.amazonaws.com/id/NEXTCLUSTER';
    await createBoth(configFor('oidc-vendor', { iamRole: { oidcIssuerUrl: `https://${next}` } }));
    expect(await trustOf(config.storageRole.name)).toEqual(storageTrust(next));
    expect(JSON.stringify(await trustOf(config.iamRole.name))).toContain(`oidc-provider/${next}`);
  });

  it('R1: a caller that passes only the EKS role name updates only the EKS role', async () => {
    const config = configFor('oidc-eks-only');
    await createBoth(config);
    const out = await step<UpdateRoleOidcResult>('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: config.provisioningId,
      region: 'us-west-2',
      roleName: config.iamRole.name,
      oidcIssuerUrl: `https://${ISSUER}`,
    });
    expect(out.storageRole).toBeUndefined();
    expect(JSON.stringify(await trustOf(config.iamRole.name))).toContain(ISSUER);
    expect(await trustOf(config.storageRole.name)).toEqual(storageTrust());
  });

  it('S2: a storage role that is not ours stops the update before either role is changed', async () => {
    const config = configFor('oidc-foreign');
    await step('CreateEksRole', CreateEksRole, { config });
    await createForeignRole(config.storageRole.name);
    const eksBefore = await trustOf(config.iamRole.name);
    const storageBefore = await trustOf(config.storageRole.name);
    const input = { provisioningId: config.provisioningId, region: 'us-west-2', roleName: config.iamRole.name, storageRoleName: config.storageRole.name, oidcIssuerUrl: `https://${ISSUER}` };
    await expect(step('UpdateRoleOidc', UpdateRoleOidc, input)).rejects.toMatchObject({ name: 'ForeignResourceError' });
    expect(await trustOf(config.iamRole.name)).toEqual(eksBefore);
    expect(await trustOf(config.storageRole.name)).toEqual(storageBefore);

    const missing = await step('UpdateRoleOidc', UpdateRoleOidc, { ...input, storageRoleName: 'zilliz-byoc-no-such-role' }).catch((e: unknown) => e);
    expect(errorMessage(missing)).toContain('storageRoleName: no IAM role named zilliz-byoc-no-such-role exists');
  });

  it('R1: the EKS role delete still reports notFound separately, and leaves the other two roles', async () => {
    const config = configFor('eks-delete');
    const { eksRole } = await createBoth(config);
    await expect(step('DeleteEksRole', DeleteEksRole, { config, eksRole })).resolves.toEqual({ deleted: [config.iamRole.name], notFound: [], leftForeign: [] });
    await expect(step('DeleteEksRole', DeleteEksRole, { config, eksRole })).resolves.toEqual({ deleted: [], notFound: [config.iamRole.name], leftForeign: [] });
    expect(await allRoleNames()).toEqual([config.storageRole.name]);
    await iam().send(new AttachRolePolicyCommand({ RoleName: config.storageRole.name, PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy' }));
    // A managed policy someone attached to our storage role does not stop its delete: the role is ours to empty.
    await expect(step('DeleteStorageRole', DeleteStorageRole, { config })).resolves.toEqual({ deleted: [config.storageRole.name], notFound: [], leftForeign: [] });
  });
});
