import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../../shared/errors';
import { ROLE_TRUST_POLICY_QUOTA, assertCrossAccountRoleFits, crossAccountInlinePolicy, crossAccountTrustPolicyFor } from '../../../shared/iam/cross-account-role';
import { ROLE_INLINE_POLICY_QUOTA, policyCharacters } from '../../../shared/iam/inline-policies';
import { storageInlinePolicy, storageTrustPolicyFor } from '../../../shared/iam/storage-role';
import { trustPolicy } from '../../../shared/iam/trust-policy';
import type { PolicyDocument } from '../../../shared/iam/types';
import {
  CROSS_ACCOUNT_POLICY_NAME,
  STORAGE_POLICY_NAME,
  crossAccountPolicy,
  crossAccountTrustPolicy,
  storageRolePolicy,
  storageRoleTrustPolicy,
} from '../../../shared/iam/vendor-policies';
import { testConfig } from '../../helpers/config';

// The vendor's reference documents, copied unchanged into tests/fixtures/vendor-byoc/ (see its SOURCES.md).
const fixtures = join(__dirname, '../../fixtures/vendor-byoc');
const codeCopies = join(__dirname, '../../../shared/iam/policies/vendor-byoc');
const FILES = ['storage-role-trust.json', 'storage-role-policy.json', 'cross-account-trust.json', 'cross-account-policy.json'];
const text = (file: string) => readFileSync(join(fixtures, file), 'utf8');

/** A reference document with its placeholders filled in, by plain text replacement (keys included). */
const reference = (file: string, fill: Record<string, string>): PolicyDocument =>
  JSON.parse(Object.entries(fill).reduce((out, [token, value]) => out.replaceAll(token, value), text(file))) as PolicyDocument;

const EXTERNAL_ID = 'cid-0123456789abcdef';
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const KMS_KEY = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const config = testConfig({ crossAccountRole: { externalId: EXTERNAL_ID }, bucket: { name: 'zilliz-byoc-demo-milvus' } }, 'p-unit');
const withIssuerAndKey = testConfig(
  { crossAccountRole: { externalId: EXTERNAL_ID }, bucket: { name: 'zilliz-byoc-demo-milvus', kmsKeyArn: KMS_KEY }, iamRole: { oidcIssuerUrl: `https://${ISSUER}` } },
  'p-unit',
);

/** Statement by statement, then the whole document (so an extra or a missing statement fails too). */
function expectSameStatements(built: PolicyDocument, expected: PolicyDocument) {
  expect(built.Version).toBe(expected.Version);
  expected.Statement.forEach((statement, i) => expect({ i, statement: built.Statement[i] }).toEqual({ i, statement }));
  expect(built.Statement).toHaveLength(expected.Statement.length);
  // Same key order too, so the minified JSON is the reference's minified JSON.
  expect(JSON.stringify(built)).toBe(JSON.stringify(expected));
}

describe('the vendor reference files (S2, X1)', () => {
  it('the fixtures say they were copied unchanged, and the code loads byte-identical copies of them', () => {
    expect(text('SOURCES.md')).toContain('Copied unchanged');
    for (const file of FILES) expect(readFileSync(join(codeCopies, file)).equals(readFileSync(join(fixtures, file)))).toBe(true);
  });

  it('X1: the cross-account policy is the Terraform version: service-linked-role statement, fixed access-entry ARN form', () => {
    const policy = reference('cross-account-policy.json', {});
    expect(policy.Statement[0].Sid).toBe('AllowCreateServiceLinkedRoleForEKS');
    expect(text('cross-account-policy.json')).not.toContain('arn:aws:eks::aws:access-entry');
    expect(text('cross-account-policy.json')).toContain('arn:aws:eks:*:*:access-entry/zilliz-byoc-*/*/*/*/*');
  });
});

describe('S2: the storage role trust policy equals the vendor\'s', () => {
  it.each([
    ['without an OIDC issuer: the vendor\'s eks_oidc_url placeholder stays', undefined, { '{accountId}': '123456789012' }],
    ['with the cluster\'s OIDC issuer in the provider ARN and the condition keys', ISSUER, { '{accountId}': '123456789012', eks_oidc_url: ISSUER }],
  ])('S2: %s', (_, oidcIssuer, fill) => {
    const built = storageRoleTrustPolicy({ partition: 'aws', accountId: '123456789012', ...(oidcIssuer ? { oidcIssuer } : {}) });
    expectSameStatements(built, reference('storage-role-trust.json', fill));
  });

  it('S2: takes the config\'s account, partition and issuer (the EKS role\'s cluster)', () => {
    expectSameStatements(storageTrustPolicyFor(withIssuerAndKey), reference('storage-role-trust.json', { '{accountId}': '123456789012', eks_oidc_url: ISSUER }));
    const china = storageTrustPolicyFor({ ...config, partition: 'aws-cn', accountId: '210987654321' });
    expect(china.Statement[0].Principal?.Federated).toBe('arn:aws-cn:iam::210987654321:oidc-provider/eks_oidc_url');
  });

  it('R1, S2: without an issuer in the config, keeps the real issuer found in the role\'s trust policy; a config issuer wins', () => {
    const setLater = storageRoleTrustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: ISSUER });
    expect(storageTrustPolicyFor(config, setLater)).toEqual(setLater);
    const placeholder = storageRoleTrustPolicy({ partition: 'aws', accountId: '123456789012' });
    expect(storageTrustPolicyFor(config, placeholder)).toEqual(placeholder);
    const other = 'oidc.eks.us-west-2.amazonaws.com/id/OTHER';
    const configured = { ...config, iamRole: { ...config.iamRole, oidcIssuer: other } };
    expect(JSON.stringify(storageTrustPolicyFor(configured, setLater))).toContain(`oidc-provider/${other}`);
    // The EKS role follows the same rule (R1).
    const eksSetLater = trustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: ISSUER });
    expect(storageTrustPolicyFor(config, eksSetLater)).toEqual(setLater);
  });
});

describe('S2: the storage role permissions equal the vendor\'s', () => {
  it('S2: without a KMS key: the vendor\'s two statements for the bucket, named with the zilliz-byoc prefix', () => {
    const policy = storageInlinePolicy(config);
    expect(policy.name).toBe(STORAGE_POLICY_NAME);
    expect(policy.name.startsWith('zilliz-byoc')).toBe(true);
    expectSameStatements(policy.document, reference('storage-role-policy.json', { '{bucketName}': 'zilliz-byoc-demo-milvus' }));
  });

  it('S2: with the bucket\'s KMS key: the vendor\'s two statements, then kms:Decrypt and kms:GenerateDataKey* on that key only', () => {
    const built = storageInlinePolicy(withIssuerAndKey).document;
    const expected = reference('storage-role-policy.json', { '{bucketName}': 'zilliz-byoc-demo-milvus' });
    expectSameStatements({ ...built, Statement: built.Statement.slice(0, 2) }, expected);
    expect(built.Statement).toHaveLength(3);
    expect(built.Statement[2]).toEqual({ Sid: 'AllowKmsKeyOfBucket', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: [KMS_KEY] });
  });

  it('S2: the bucket ARNs take the config\'s partition', () => {
    expect(storageRolePolicy({ partition: 'aws-us-gov', bucketName: 'b' }).Statement.map((s) => s.Resource)).toEqual(['arn:aws-us-gov:s3:::b', ['arn:aws-us-gov:s3:::b/*']]);
  });
});

describe('X1: the cross-account role documents equal the vendor\'s', () => {
  it('X1: trust: the vendor\'s control plane, only with the customer\'s external ID', () => {
    expectSameStatements(crossAccountTrustPolicyFor(config), reference('cross-account-trust.json', { '{externalId}': EXTERNAL_ID }));
    expect(config.crossAccountRole.vendorPrincipalArn).toBe('arn:aws:iam::965570967084:role/zilliz-byoc');
  });

  it('X1: trust: a deployment\'s own vendor principal replaces the reference\'s, nothing else changes', () => {
    const built = crossAccountTrustPolicy({ vendorPrincipalArn: 'arn:aws:iam::111122223333:role/zilliz-byoc-staging', externalId: EXTERNAL_ID });
    const expected = reference('cross-account-trust.json', { '{externalId}': EXTERNAL_ID, 'arn:aws:iam::965570967084:role/zilliz-byoc': 'arn:aws:iam::111122223333:role/zilliz-byoc-staging' });
    expectSameStatements(built, expected);
  });

  it('X1: permissions, statement by statement, with {name} and {bucketName} filled in', () => {
    const policy = crossAccountInlinePolicy(config);
    expect(policy.name).toBe(CROSS_ACCOUNT_POLICY_NAME);
    expectSameStatements(policy.document, reference('cross-account-policy.json', { '{name}': 'demo', '{bucketName}': 'zilliz-byoc-demo-milvus' }));
  });

  it('X1: IAMReadEKSRole names our EKS role, also when the caller chose another zilliz-byoc* name', () => {
    const custom = testConfig({ crossAccountRole: { externalId: EXTERNAL_ID }, iamRole: { name: 'zilliz-byoc-shop-nodes' } }, 'p-unit');
    const read = crossAccountInlinePolicy(custom).document.Statement.find((s) => s.Sid === 'IAMReadEKSRole');
    expect(read?.Resource).toEqual(['arn:aws:iam::*:role/zilliz-byoc-shop-nodes', 'arn:aws:iam::*:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup']);
  });

  it('X1: ARNs the reference writes arn:aws: take the partition; arn:*: stays', () => {
    const built = crossAccountPolicy({ partition: 'aws-cn', eksRoleName: 'zilliz-byoc-demo-eks-role', bucketName: 'b' });
    const json = JSON.stringify(built);
    expect(json).not.toContain('"arn:aws:');
    expect(json).toContain('"arn:aws-cn:eks:*:*:cluster/zilliz-byoc-*"');
    expect(json).toContain('"arn:*:iam::*:role/zilliz-byoc*"');
    expect(built.Statement.map((s) => s.Sid)).toEqual(crossAccountPolicy({ partition: 'aws', eksRoleName: 'x', bucketName: 'b' }).Statement.map((s) => s.Sid));
  });
});

describe('X1: the size check before anything is created', () => {
  it('X1: the real policy fits, about 6,000 characters plus the names', () => {
    const total = assertCrossAccountRoleFits(config);
    expect(total).toBe(policyCharacters(crossAccountInlinePolicy(config).document));
    expect(total).toBeGreaterThan(5_900);
    expect(total).toBeLessThan(ROLE_INLINE_POLICY_QUOTA);
  });

  it.each([
    ['iamRole.name', { iamRole: { ...config.iamRole, name: `zilliz-byoc-${'x'.repeat(5_000)}` } }],
    ['bucket.name', { bucket: { ...config.bucket, name: 'b'.repeat(5_000) } }],
  ])('X1: a name that makes the inline policy too long fails with InvalidInputError naming %s', (field, change) => {
    const error = (() => {
      try {
        return assertCrossAccountRoleFits({ ...config, ...change });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems).toEqual([{ field, rule: expect.stringMatching(/is 5,0\d\d characters long.*over IAM's 10,240 per role/) }]);
  });

  it('X1: an external ID that makes the trust policy too long fails naming crossAccountRole.externalId', () => {
    const long = { ...config, crossAccountRole: { ...config.crossAccountRole, externalId: 'c'.repeat(ROLE_TRUST_POLICY_QUOTA) } };
    expect(() => assertCrossAccountRoleFits(long)).toThrow(expect.objectContaining({ name: 'InvalidInputError', problems: [expect.objectContaining({ field: 'crossAccountRole.externalId' })] }));
  });
});
