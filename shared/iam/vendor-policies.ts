import type { ProvisioningConfig } from '../config';
import { OIDC_PLACEHOLDER, type TrustPolicyInput } from './trust-policy';
import type { PolicyDocument, PolicyStatement } from './types';
// Imported (not read from disk) so esbuild puts them into the Lambda bundle. Byte-for-byte copies of the vendor's
// reference documents; ./policies/vendor-byoc/SOURCES.md says where they come from.
import storageRoleTrustTemplate from './policies/vendor-byoc/storage-role-trust.json';
import storageRolePolicyTemplate from './policies/vendor-byoc/storage-role-policy.json';
import crossAccountTrustTemplate from './policies/vendor-byoc/cross-account-trust.json';
import crossAccountPolicyTemplate from './policies/vendor-byoc/cross-account-policy.json';

/** S2: the name of the storage role's inline policy (the vendor's docs ask for the `zilliz-byoc` prefix). */
export const STORAGE_POLICY_NAME = 'zilliz-byoc-storage-policy';
/** X1: the name of the cross-account role's inline policy. */
export const CROSS_ACCOUNT_POLICY_NAME = 'zilliz-byoc-cross-account-policy';

/** The EKS role's name as the vendor's reference writes it in `IAMReadEKSRole` (its default name). */
const EKS_ROLE_NAME_PLACEHOLDER = 'zilliz-byoc-{name}-eks-role';
/** The vendor's control plane as the reference trust names it; replaced by the configured principal. */
const VENDOR_PRINCIPAL_PLACEHOLDER = crossAccountTrustTemplate.Statement[0].Principal.AWS;
const LEFT_OVER = /\{(name|bucketName|externalId|accountId)\}/;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface Fill {
  partition: ProvisioningConfig['partition'];
  /** Substrings to replace, in keys and string values (`{bucketName}`, `eks_oidc_url`, ...). */
  tokens: Record<string, string>;
  /** Whole string values to replace as they are (no partition change): the vendor principal. */
  values?: Record<string, string>;
}

/**
 * Fill a vendor template: a deep copy with the placeholders replaced, keys and values alike, and `arn:aws:` at the
 * start of a value turned into the config's partition (so the document stays the reference's for `aws`).
 * Throws if a placeholder is left: a template change the code does not know would otherwise reach IAM.
 */
function fillTemplate(template: unknown, fill: Fill): PolicyDocument {
  const text = (s: string) => Object.entries(fill.tokens).reduce((out, [token, value]) => out.replaceAll(token, value), s);
  const walk = (node: Json): Json => {
    if (typeof node === 'string') {
      if (fill.values && Object.hasOwn(fill.values, node)) return fill.values[node];
      return text(node.startsWith('arn:aws:') ? `arn:${fill.partition}:${node.slice('arn:aws:'.length)}` : node);
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [text(key), walk(value)]));
    return node;
  };
  const document = walk(template as Json) as unknown as PolicyDocument;
  const left = LEFT_OVER.exec(JSON.stringify(document));
  if (left) throw new Error(`vendor policy template still has the placeholder ${left[0]} after filling it in`);
  return document;
}

/**
 * S2: the storage role's trust policy, exactly the vendor's: `sts:AssumeRoleWithWebIdentity` from the cluster's OIDC
 * provider for the database's service accounts (`milvus-*:milvus*`, `loki:loki*`, `index-pool:milvus*`), aud
 * `sts.amazonaws.com`. `{accountId}` and the partition are filled in; `eks_oidc_url` becomes the issuer when known
 * (in the provider ARN and the condition keys), else it stays, as in the vendor's docs.
 *
 * @example storageRoleTrustPolicy({ partition: 'aws', accountId: '123456789012' }).Statement[0].Principal?.Federated
 * // 'arn:aws:iam::123456789012:oidc-provider/eks_oidc_url'
 */
export function storageRoleTrustPolicy(input: TrustPolicyInput): PolicyDocument {
  return fillTemplate(storageRoleTrustTemplate, {
    partition: input.partition,
    tokens: { '{accountId}': input.accountId, [OIDC_PLACEHOLDER]: input.oidcIssuer ?? OIDC_PLACEHOLDER },
  });
}

/** What the storage role's permissions depend on. */
export interface StoragePolicyInput {
  partition: ProvisioningConfig['partition'];
  bucketName: string;
  /** S1: the bucket's SSE-KMS key, when it has one: the role may then use it for the bucket's objects. */
  kmsKeyArn?: string;
}

/**
 * S2: the storage role's permissions: the vendor's two statements (list the bucket; get, put and delete its
 * objects) for the bucket, and, when the bucket is encrypted with a KMS key, a third statement allowing
 * `kms:Decrypt` and `kms:GenerateDataKey*` on that key only (reading an SSE-KMS object needs Decrypt, writing one
 * needs GenerateDataKey).
 *
 * @example storageRolePolicy({ partition: 'aws', bucketName: 'b' }).Statement[1].Resource // ['arn:aws:s3:::b/*']
 */
export function storageRolePolicy(input: StoragePolicyInput): PolicyDocument {
  const document = fillTemplate(storageRolePolicyTemplate, { partition: input.partition, tokens: { '{bucketName}': input.bucketName } });
  if (!input.kmsKeyArn) return document;
  const kms: PolicyStatement = { Sid: 'AllowKmsKeyOfBucket', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: [input.kmsKeyArn] };
  return { ...document, Statement: [...document.Statement, kms] };
}

/**
 * X1: the cross-account role's trust policy, exactly the vendor's: `sts:AssumeRole` (with `sts:TagSession` and
 * `sts:SetSourceIdentity`) for the vendor's control plane, only with the customer's external ID.
 *
 * @example crossAccountTrustPolicy({ vendorPrincipalArn: 'arn:aws:iam::965570967084:role/zilliz-byoc', externalId: 'cid-1' })
 */
export function crossAccountTrustPolicy(input: { vendorPrincipalArn: string; externalId: string }): PolicyDocument {
  return fillTemplate(crossAccountTrustTemplate, {
    partition: 'aws', // the reference names no ARN of the customer's partition; the principal is replaced whole
    tokens: { '{externalId}': input.externalId },
    values: { [VENDOR_PRINCIPAL_PLACEHOLDER]: input.vendorPrincipalArn },
  });
}

/** What the cross-account role's permissions depend on. */
export interface CrossAccountPolicyInput {
  partition: ProvisioningConfig['partition'];
  /** The EKS role's name (R4): `IAMReadEKSRole` names it. The vendor's default is `zilliz-byoc-{name}-eks-role`. */
  eksRoleName: string;
  bucketName: string;
}

/**
 * X1: what the vendor's control plane may do in the customer account: the vendor's Terraform policy, statement for
 * statement (with `AllowCreateServiceLinkedRoleForEKS` and the fixed access-entry ARN form), with the EKS role's
 * name in `IAMReadEKSRole` and the bucket in `S3CheckBucketLocation`. ARNs the reference writes `arn:aws:` get the
 * config's partition; `arn:*:` stays.
 *
 * @example crossAccountPolicy({ partition: 'aws', eksRoleName: 'zilliz-byoc-demo-eks-role', bucketName: 'b' }).Statement.length // 18
 */
export function crossAccountPolicy(input: CrossAccountPolicyInput): PolicyDocument {
  return fillTemplate(crossAccountPolicyTemplate, {
    partition: input.partition,
    tokens: { [EKS_ROLE_NAME_PLACEHOLDER]: input.eksRoleName, '{bucketName}': input.bucketName },
  });
}
