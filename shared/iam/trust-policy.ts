import { InvalidInputError } from '../errors';
import type { ProvisioningConfig } from '../config';
import type { PolicyDocument, PolicyStatement } from './types';

/**
 * R1: the guide's placeholder for the cluster's OIDC issuer. The cluster does not exist when the role is made, so
 * the guide leaves this literal in the trust policy; `updateRoleOidc` replaces it once the cluster is up.
 */
export const OIDC_PLACEHOLDER = 'eks_oidc_url';

/** The Kubernetes service accounts (namespace kube-system) that may assume the role through the cluster's OIDC provider. */
export const OIDC_SERVICE_ACCOUNTS = ['aws-load-balancer-controller', 'ebs-csi-controller-sa', 'cluster-autoscaler'] as const;

/** What the trust policy depends on. */
export interface TrustPolicyInput {
  partition: ProvisioningConfig['partition'];
  accountId: string;
  /** Issuer host and path without `https://` (`oidc.eks.us-west-2.amazonaws.com/id/ABC`); default: the guide's placeholder. */
  oidcIssuer?: string;
}

/** `arn:{partition}:iam::{accountId}:oidc-provider/{issuer}`: the federated principal of the three web-identity statements. */
export const oidcProviderArn = (input: TrustPolicyInput): string =>
  `arn:${input.partition}:iam::${input.accountId}:oidc-provider/${input.oidcIssuer ?? OIDC_PLACEHOLDER}`;

/**
 * R1: the trust policy of the EKS role, exactly as the guide's "custom trust policy" JSON: same statements, same
 * order, same Sids, and even the same key order inside each statement (the guide lists `aud` before `sub` in the
 * first condition and after it in the other two), so the minified JSON equals the guide's minified JSON.
 * Only `{accountId}` and, when known, the OIDC issuer are filled in.
 *
 * @example trustPolicy({ partition: 'aws', accountId: '123456789012' }).Statement[3].Principal?.Federated
 * // 'arn:aws:iam::123456789012:oidc-provider/eks_oidc_url'
 */
export function trustPolicy(input: TrustPolicyInput): PolicyDocument {
  const issuer = input.oidcIssuer ?? OIDC_PLACEHOLDER;
  const federated = oidcProviderArn(input);
  const service = (Service: string, Sid?: string): PolicyStatement => ({
    ...(Sid ? { Sid } : {}),
    Effect: 'Allow',
    Principal: { Service },
    Action: 'sts:AssumeRole',
  });
  const webIdentity = (serviceAccount: string, audFirst: boolean): PolicyStatement => {
    const aud: [string, string] = [`${issuer}:aud`, 'sts.amazonaws.com'];
    const sub: [string, string] = [`${issuer}:sub`, `system:serviceaccount:kube-system:${serviceAccount}`];
    return {
      Effect: 'Allow',
      Principal: { Federated: federated },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: Object.fromEntries(audFirst ? [aud, sub] : [sub, aud]) },
    };
  };
  const [albc, ebs, autoscaler] = OIDC_SERVICE_ACCOUNTS;
  return {
    Version: '2012-10-17',
    Statement: [
      service('eks-nodegroup.amazonaws.com'),
      service('eks.amazonaws.com', 'EKSClusterAssumeRole'),
      service('ec2.amazonaws.com', 'EKSNodeAssumeRole'),
      webIdentity(albc, true),
      webIdentity(ebs, false),
      webIdentity(autoscaler, false),
    ],
  };
}

/** True for a web-identity (OIDC) statement; the other three statements of R1 name AWS services. */
export const isOidcStatement = (statement: PolicyStatement): boolean => [statement.Action].flat().includes('sts:AssumeRoleWithWebIdentity');

const PROVIDER_ARN = /^arn:[a-z-]+:iam::\d{12}:oidc-provider\/(.+)$/;

/**
 * The real OIDC issuer a trust policy names (the federated principal of a web-identity statement), or undefined
 * when it names none or only the `eks_oidc_url` placeholder. Used so that an issuer set later (by `updateRoleOidc`,
 * or by the vendor, whose cross-account permissions may update the trust of `role/zilliz-byoc*`) survives a re-run
 * of the create step whose config has no issuer. Anything that is not a usable issuer is ignored.
 *
 * @example oidcIssuerIn(trustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: 'oidc.eks.us-west-2.amazonaws.com/id/ABC' }))
 * // 'oidc.eks.us-west-2.amazonaws.com/id/ABC'
 */
export function oidcIssuerIn(document: PolicyDocument | undefined): string | undefined {
  for (const statement of document?.Statement ?? []) {
    if (!isOidcStatement(statement)) continue;
    for (const arn of [statement.Principal?.Federated ?? []].flat()) {
      const issuer = PROVIDER_ARN.exec(arn)?.[1];
      if (!issuer || issuer === OIDC_PLACEHOLDER) continue;
      try {
        return oidcIssuerFromUrl(`https://${issuer}`);
      } catch {
        // not an issuer IAM could use: not one to keep
      }
    }
  }
  return undefined;
}

/**
 * The issuer a role's trust policy must carry: the config's when it has one (a caller who names the issuer gets
 * it), else the real issuer already in the role's trust policy (`current`), else none (the placeholder).
 */
export const issuerToKeep = (configIssuer: string | undefined, current: PolicyDocument | undefined): string | undefined => configIssuer ?? oidcIssuerIn(current);

/**
 * The trust policy of a config (R1), with the issuer the caller gave; without one, the issuer already in `current`
 * (the role's trust policy as found in IAM), so a re-run never puts the placeholder back over a real issuer.
 */
export function trustPolicyFor(config: Pick<ProvisioningConfig, 'partition' | 'accountId' | 'iamRole'>, current?: PolicyDocument): PolicyDocument {
  return trustPolicy({ partition: config.partition, accountId: config.accountId, oidcIssuer: issuerToKeep(config.iamRole.oidcIssuer, current) });
}

/** A policy document as IAM takes it: minified JSON (whitespace costs nothing but bytes on the wire). */
export const policyJson = (document: unknown): string => JSON.stringify(document);

/**
 * Parse a policy document as IAM returns it: GetRole and GetRolePolicy answer URL-encoded JSON (RFC 3986), both
 * on AWS and in moto. Plain JSON is accepted too, so this also reads documents that come from elsewhere.
 *
 * @example parsePolicyDocument('%7B%22Version%22%3A%222012-10-17%22%7D') // { Version: '2012-10-17' }
 */
export function parsePolicyDocument(text: string): PolicyDocument {
  const trimmed = text.trim();
  return JSON.parse(trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed)) as PolicyDocument;
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Validate a cluster's OIDC issuer URL and return the form IAM uses in ARNs and condition keys: host and path,
 * without `https://` and without a trailing slash.
 *
 * @param field - the request field to name in the error (`oidcIssuerUrl`, `iamRole.oidcIssuerUrl`).
 * @throws InvalidInputError naming `field` when the URL is not `https://host/path` (no port, query, fragment or credentials).
 * @example oidcIssuerFromUrl('https://oidc.eks.us-west-2.amazonaws.com/id/ABC/') // 'oidc.eks.us-west-2.amazonaws.com/id/ABC'
 */
export function oidcIssuerFromUrl(url: unknown, field = 'oidcIssuerUrl'): string {
  const fail = (rule: string): never => {
    throw new InvalidInputError([{ field, rule: `${rule} (an EKS issuer looks like https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE)` }]);
  };
  if (typeof url !== 'string' || url.trim() === '') return fail('is required');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return fail(`"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:') fail(`must use https, not "${parsed.protocol.replace(/:$/, '')}"`);
  if (parsed.username || parsed.password) fail('must not contain credentials');
  if (parsed.port) fail('must not name a port');
  if (parsed.search || parsed.hash || /[?#]/.test(url)) fail('must not have a query or fragment');
  const host = parsed.hostname.toLowerCase();
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l))) fail(`must name a DNS host, not "${parsed.hostname}"`);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path === '') fail('must have a path after the host (EKS issuers end in /id/<cluster ID>)');
  if (!PATH.test(path)) fail(`has a path IAM cannot use in an OIDC provider ARN: "${parsed.pathname}"`);
  return `${host}${path}`;
}
