import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { handler as CreateEksRole } from '../../../functions/steps/create-eks-role';
import { handler as UpdateRoleOidc } from '../../../functions/steps/update-role-oidc';
import { invokeLocal } from '../../../local/lambda-runtime';
import type { LocalHandler } from '../../../local/functions';
import { iamClient } from '../../../shared/aws/clients';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import type { UpdateRoleOidcResult } from '../../../shared/iam/oidc';
import { parsePolicyDocument } from '../../../shared/iam/trust-policy';
import type { EksRoleState } from '../../../shared/iam/types';
import { verifyEksRole } from '../../../shared/iam/verify';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';

const iam = () => iamClient({ region: 'us-west-2' });
const step = <T>(name: string, handler: unknown, input: unknown) => invokeLocal(name, handler as LocalHandler, input) as Promise<T>;
const X1 = { crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

/** The role's trust policy as IAM stores it, decoded, and each statement as its own JSON text. */
async function trustOf(roleName: string) {
  const role = (await iam().send(new GetRoleCommand({ RoleName: roleName }))).Role!;
  const policy = parsePolicyDocument(role.AssumeRolePolicyDocument!);
  return { policy, statements: policy.Statement.map((s) => JSON.stringify(s)) };
}

describe('setting the cluster\'s OIDC issuer on the role later (R1)', () => {
  const moto = useMoto();
  beforeEach(() => moto.reset());

  it('R1: replaces only the OIDC parts; the three service statements stay byte for byte', async () => {
    const config = testConfig(X1, 'oidc-ok');
    const eksRole = await step<EksRoleState>('CreateEksRole', CreateEksRole, { config });
    const before = await trustOf(config.iamRole.name);

    const out = await step<UpdateRoleOidcResult>('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: 'oidc-ok',
      region: 'us-west-2',
      roleName: config.iamRole.name,
      oidcIssuerUrl: `https://${ISSUER}`,
    });
    const after = await trustOf(config.iamRole.name);

    expect(out.roleArn).toBe(eksRole.roleArn);
    expect(out.trustPolicy).toEqual(after.policy);
    expect(after.statements.slice(0, 3)).toEqual(before.statements.slice(0, 3));
    expect(after.statements.slice(3)).toEqual(before.statements.slice(3).map((s) => s.replaceAll('eks_oidc_url', ISSUER)));
    expect(after.statements.slice(3).join()).not.toContain('eks_oidc_url');

    const withIssuer = { ...config, iamRole: { ...config.iamRole, oidcIssuer: ISSUER } };
    expect((await verifyEksRole(withIssuer, { eksRole }, { iam: iam() })).find((c) => c.id === 'R1')?.ok).toBe(true);
  });

  it('running it twice gives the same policy; a new issuer replaces the previous one', async () => {
    const config = testConfig(X1, 'oidc-twice');
    await step('CreateEksRole', CreateEksRole, { config });
    const input = { provisioningId: 'oidc-twice', region: 'us-west-2', roleName: config.iamRole.name, oidcIssuerUrl: `https://${ISSUER}/` };
    const first = await step<UpdateRoleOidcResult>('UpdateRoleOidc', UpdateRoleOidc, input);
    const second = await step<UpdateRoleOidcResult>('UpdateRoleOidc', UpdateRoleOidc, input);
    expect(second).toEqual(first);

    const next = 'oidc.eks.us-west-2.amazonaws.com/id/NEWCLUSTER';
    await step('UpdateRoleOidc', UpdateRoleOidc, { ...input, oidcIssuerUrl: `https://${next}` });
    const { statements } = await trustOf(config.iamRole.name);
    expect(statements.join()).not.toContain(ISSUER);
    expect(statements.slice(3).every((s) => s.includes(`oidc-provider/${next}`) && s.includes(`${next}:sub`) && s.includes(`${next}:aud`))).toBe(true);
  });

  it('refuses a role without our provisioning-ID tag and leaves its trust policy alone', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam().send(new CreateRoleCommand({ RoleName: 'not-ours', AssumeRolePolicyDocument: trust, Tags: [{ Key: TAG_PROVISIONING_ID, Value: 'someone-else' }] }));
    const input = { provisioningId: 'oidc-foreign', region: 'us-west-2', roleName: 'not-ours', oidcIssuerUrl: `https://${ISSUER}` };
    await expect(step('UpdateRoleOidc', UpdateRoleOidc, input)).rejects.toMatchObject({ name: 'ForeignResourceError' });
    expect((await trustOf('not-ours')).policy).toEqual(JSON.parse(trust));
  });

  it('says which field is wrong: a missing role names roleName, a bad URL names oidcIssuerUrl', async () => {
    const missing = await step('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: 'oidc-missing',
      region: 'us-west-2',
      roleName: 'no-such-role',
      oidcIssuerUrl: `https://${ISSUER}`,
    }).catch((e: Error) => e);
    expect(missing).toMatchObject({ name: 'InvalidInputError' });
    expect(JSON.parse((missing as Error).message).errorMessage).toContain('roleName: no IAM role named no-such-role exists');

    const badUrl = await step('UpdateRoleOidc', UpdateRoleOidc, {
      provisioningId: 'oidc-missing',
      region: 'us-west-2',
      roleName: 'no-such-role',
      oidcIssuerUrl: 'ftp://example.com/id/1',
    }).catch((e: Error) => e);
    expect(JSON.parse((badUrl as Error).message).errorMessage).toContain('oidcIssuerUrl: must use https');
  });
});
