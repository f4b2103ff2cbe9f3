import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../../shared/errors';
import { OIDC_PLACEHOLDER, isOidcStatement, oidcIssuerFromUrl, oidcIssuerIn, parsePolicyDocument, trustPolicy, trustPolicyFor } from '../../../shared/iam/trust-policy';
import type { PolicyDocument } from '../../../shared/iam/types';
import { testConfig } from '../../helpers/config';

// The guide's trust policy, copied from seeds/003_1cb7548645c1e2e8.txt (see tests/fixtures/guide-trust-policy.SOURCE.md).
const guideText = readFileSync(join(__dirname, '../../fixtures/guide-trust-policy.json'), 'utf8');
const guideFor = (accountId: string): PolicyDocument => JSON.parse(guideText.replaceAll('{accountId}', accountId)) as PolicyDocument;
const ISSUER = 'oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

describe('the EKS role trust policy (R1)', () => {
  const built = trustPolicy({ partition: 'aws', accountId: '123456789012' });
  const guide = guideFor('123456789012');

  it('has the guide\'s version and as many statements as the guide', () => {
    expect(built.Version).toBe(guide.Version);
    expect(built.Statement).toHaveLength(guide.Statement.length);
  });

  it.each(guide.Statement.map((statement, i) => [i, statement] as const))('R1: statement %i equals the guide\'s statement', (i, statement) => {
    expect(built.Statement[i]).toEqual(statement);
  });

  it('R1: minified, it is the guide\'s JSON minified, character for character (same key order, same Sids)', () => {
    expect(JSON.stringify(built)).toBe(JSON.stringify(guide));
  });

  it('R1: keeps the guide\'s eks_oidc_url placeholder when no issuer is given', () => {
    const federated = built.Statement.filter(isOidcStatement).map((s) => s.Principal?.Federated);
    expect(federated).toEqual(Array(3).fill(`arn:aws:iam::123456789012:oidc-provider/${OIDC_PLACEHOLDER}`));
  });

  it('R1: puts a given issuer into the provider ARN and the :aud/:sub condition keys, leaving the service statements as the guide has them', () => {
    const withIssuer = trustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: ISSUER });
    expect(JSON.stringify(withIssuer)).toBe(JSON.stringify(guide).replaceAll(OIDC_PLACEHOLDER, ISSUER));
    expect(withIssuer.Statement.slice(0, 3)).toEqual(guide.Statement.slice(0, 3));
  });

  it('uses the config\'s partition, account and issuer', () => {
    const config = testConfig({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, iamRole: { oidcIssuerUrl: `https://${ISSUER}` } });
    const policy = trustPolicyFor({ ...config, partition: 'aws-cn', accountId: '210987654321' });
    expect(policy.Statement[5].Principal?.Federated).toBe(`arn:aws-cn:iam::210987654321:oidc-provider/${ISSUER}`);
    expect(policy.Statement[5].Condition?.StringEquals).toEqual({
      [`${ISSUER}:sub`]: 'system:serviceaccount:kube-system:cluster-autoscaler',
      [`${ISSUER}:aud`]: 'sts.amazonaws.com',
    });
  });
});

describe('an OIDC issuer set later is kept (R1)', () => {
  const placeholder = trustPolicy({ partition: 'aws', accountId: '123456789012' });
  const setLater = trustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: ISSUER });
  const config = testConfig({ crossAccountRole: { externalId: 'cid-0123456789abcdef' } });

  it('R1: finds the real issuer in a trust policy, and none where there is only the placeholder or no web-identity statement', () => {
    expect(oidcIssuerIn(setLater)).toBe(ISSUER);
    expect(oidcIssuerIn(placeholder)).toBeUndefined();
    expect(oidcIssuerIn(undefined)).toBeUndefined();
    expect(oidcIssuerIn({ Version: '2012-10-17', Statement: placeholder.Statement.slice(0, 3) })).toBeUndefined();
  });

  it('R1: ignores a federated principal that is not a usable issuer', () => {
    const odd = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/no-path' }, Action: 'sts:AssumeRoleWithWebIdentity' }] };
    expect(oidcIssuerIn(odd)).toBeUndefined();
  });

  it('R1: with no issuer in the config, the expected trust policy keeps the one found in the role; a config issuer wins', () => {
    expect(trustPolicyFor(config, setLater)).toEqual(setLater);
    expect(trustPolicyFor(config, placeholder)).toEqual(placeholder);
    expect(trustPolicyFor(config)).toEqual(placeholder);
    const other = 'oidc.eks.us-west-2.amazonaws.com/id/OTHER';
    expect(trustPolicyFor({ ...config, iamRole: { ...config.iamRole, oidcIssuer: other } }, setLater)).toEqual(
      trustPolicy({ partition: 'aws', accountId: '123456789012', oidcIssuer: other }),
    );
  });
});

describe('reading policy documents back from IAM', () => {
  it('decodes the URL-encoded JSON that GetRole and GetRolePolicy return', () => {
    const encoded = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] }));
    expect(parsePolicyDocument(encoded)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] });
  });

  it('also reads plain JSON, including a "%" inside a string', () => {
    expect(parsePolicyDocument('{"Version":"2012-10-17","Statement":[{"Sid":"100%","Effect":"Allow","Action":"*"}]}').Statement[0].Sid).toBe('100%');
  });
});

describe('the OIDC issuer URL', () => {
  it('becomes host and path, without https:// and a trailing slash', () => {
    expect(oidcIssuerFromUrl(`https://${ISSUER}/`)).toBe(ISSUER);
    expect(oidcIssuerFromUrl('https://OIDC.eks.eu-central-1.amazonaws.com/id/ABC')).toBe('oidc.eks.eu-central-1.amazonaws.com/id/ABC');
  });

  it.each([
    ['http://oidc.eks.us-west-2.amazonaws.com/id/ABC', 'must use https'],
    ['https://oidc.eks.us-west-2.amazonaws.com', 'must have a path'],
    ['https://oidc.eks.us-west-2.amazonaws.com/', 'must have a path'],
    ['https://oidc.eks.us-west-2.amazonaws.com/id/ABC?x=1', 'query or fragment'],
    ['https://oidc.eks.us-west-2.amazonaws.com:8443/id/ABC', 'port'],
    ['https://user:pw@oidc.eks.us-west-2.amazonaws.com/id/ABC', 'credentials'],
    ['https://localhost/id/ABC', 'DNS host'],
    ['https://oidc.eks.us-west-2.amazonaws.com/id/A*B', 'path IAM cannot use'],
    ['oidc.eks.us-west-2.amazonaws.com/id/ABC', 'is not a URL'],
    ['', 'is required'],
  ])('rejects %j with an InvalidInputError naming the field (%s)', (url, rule) => {
    let caught: unknown;
    try {
      oidcIssuerFromUrl(url, 'oidcIssuerUrl');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const problem = (caught as InvalidInputError).problems[0];
    expect(problem.field).toBe('oidcIssuerUrl');
    expect(problem.rule).toContain(rule);
  });
});
