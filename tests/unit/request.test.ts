import { InvalidInputError } from '../../shared/errors';
import { buildConfig, defaultBucketName } from '../../shared/config';
import { parseRequest } from '../../shared/request';
import example from '../../examples/request.json';

/** The problems a bad request is rejected with, as `field: rule` lines. */
function problemsOf(request: unknown): string[] {
  try {
    parseRequest(request);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems.map((p) => `${p.field}: ${p.rule}`);
    throw error;
  }
  throw new Error('expected the request to be rejected');
}

describe('parseRequest (the provisioning request schema)', () => {
  it('accepts the smallest request and fills in the defaults', () => {
    const request = parseRequest({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2' });
    expect(request.network.vpcCidr).toBe('10.0.0.0/16');
  });

  it('accepts the example request that npm start runs', () => {
    expect(() => parseRequest(example)).not.toThrow();
  });

  it('names each missing required field', () => {
    expect(problemsOf({})).toEqual(expect.arrayContaining(['projectName: is required', 'region: is required', 'crossAccountRole: is required']));
  });

  it('names unknown fields instead of ignoring them (a typo must not silently fall back to a default)', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { vpcCdir: '10.1.0.0/16' } })).toEqual(['network.vpcCdir: is not a known field']);
  });

  it('rejects an unsupported region and lists the supported ones (V1)', () => {
    const [problem] = problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'ap-south-1' });
    expect(problem).toMatch(/^region: "ap-south-1" is not supported \(V1\); supported regions: ap-east-1, eu-central-1, eu-west-1, us-east-1, us-west-2$/);
  });

  it.each([
    ['10.0.0.0/20', 'must use a /16 netmask (V2)'],
    ['10.0.1.0/16', 'host bits must be zero: did you mean 10.0.0.0/16?'],
    ['8.8.0.0/16', 'must lie in a private range'],
    ['fd00::/16', 'IPv4 only'],
    ['banana', 'must be an IPv4 CIDR block'],
  ])('rejects the VPC CIDR %s, saying why', (cidr, why) => {
    const problems = problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { vpcCidr: cidr } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('network.vpcCidr: ');
    expect(problems[0]).toContain(why);
  });

  it('reports every problem at once, not just the first', () => {
    const problems = problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'Bad Name', region: 'mars-1', network: { vpcCidr: '1.2.3.4/8', availabilityZones: ['us-west-2a'] } });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['projectName', 'region', 'network.vpcCidr', 'network.availabilityZones']));
  });

  it('explains the project name rule in words', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'Demo_1', region: 'us-west-2' })).toEqual(['projectName: must be 1-32 lowercase letters, digits or "-" (not at either end). Base of the Name tags (V8).']);
  });

  it('refuses private DNS without the VPC endpoint it points at (V10 requires V9)', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { privateDns: { enabled: true } } })).toEqual([
      'network.privateDns.enabled: requires network.vpcEndpoint.enabled (V10 points at the V9 endpoint)',
    ]);
  });

  it('refuses private DNS in a region the guide gives no record name for', () => {
    const [problem] = problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-east-1', network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } });
    expect(problem).toMatch(/^network\.privateDns\.enabled: no private DNS record name is known for region us-east-1/);
  });

  it('needs exactly three distinct zones of the request region when zones are given (V3)', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { availabilityZones: ['us-west-2a', 'us-west-2a', 'us-west-2b'] } })[0]).toMatch(/^network\.availabilityZones: .*duplicate/);
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { availabilityZones: ['us-west-2a', 'us-west-2b', 'eu-central-1a'] } })).toEqual([
      'network.availabilityZones.2: "eu-central-1a" is not a zone of region us-west-2',
    ]);
  });

  it('checks security group CIDRs (V7)', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', network: { securityGroup: { ingressCidrs: ['10.0.0.0/33'] } } })).toEqual([
      'network.securityGroup.ingressCidrs.0: "10.0.0.0/33" is not a valid IPv4 CIDR block',
    ]);
  });

  it('requires an external ID whenever a customer role is to be assumed', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/byoc' } })).toEqual(['targetAccount.externalId: is required']);
  });

  it('rejects an IAM role name IAM would reject', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', iamRole: { name: 'zilliz-byoc has space' } })[0]).toMatch(/^iamRole\.name: must be an IAM role name starting with "zilliz-byoc"/);
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', iamRole: { name: `zilliz-byoc-${'x'.repeat(53)}` } })[0]).toMatch(/^iamRole\.name: /);
  });

  it('refuses tags in the reserved aws: namespace', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', tags: { 'aws:owner': 'me' } })).toEqual(['tags.aws:owner: key must be a tag key of 1-128 letters, digits, spaces or _.:/=+-@, not starting with "aws:"']);
  });

  it('refuses a provisioning ID containing "--update-": execution names <id>--update-<n> are the in-place updates', () => {
    expect(problemsOf({ provisioningId: 'a--update-1', crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2' })).toEqual([
      'provisioningId: must not contain "--update-": execution names <id>--update-<n> are the provisioning\'s in-place updates',
    ]);
  });

  it('says a non-object is not a request', () => {
    expect(problemsOf('hello')).toEqual(['(request): must be a JSON object']);
    expect(problemsOf([1])).toEqual(['(request): must be a JSON object']);
  });
});

describe('parseRequest on the vendor-side setup (R4, S1, S2, X1)', () => {
  const base = { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };

  it.each([
    ['iamRole', 'demo-eks-role'],
    ['storageRole', 'my-storage-role'],
    ['crossAccountRole', 'ZillizByoc-cross'],
  ])('refuses a %s name outside the vendor\'s role/zilliz-byoc* reach, saying why', (field, name) => {
    const request = { ...base, [field]: { ...(base as Record<string, unknown>)[field] as object, name } };
    expect(problemsOf(request)).toEqual([expect.stringMatching(new RegExp(`^${field}\\.name: must be an IAM role name starting with "zilliz-byoc" \\(the vendor's cross-account permissions only reach role/zilliz-byoc\\*\\)`))]);
  });

  it('refuses a role path other than "/" (R4: the vendor reaches role/zilliz-byoc* only)', () => {
    expect(problemsOf({ ...base, iamRole: { path: '/team/' } })).toEqual([expect.stringMatching(/^iamRole\.path: must be "\/"/)]);
  });

  it('accepts zilliz-byoc* names of up to 64 characters', () => {
    expect(() => parseRequest({ ...base, iamRole: { name: `zilliz-byoc-${'x'.repeat(52)}` }, storageRole: { name: 'zilliz-byoc-s' } })).not.toThrow();
  });

  it('refuses the same name for two of the roles', () => {
    expect(problemsOf({ ...base, iamRole: { name: 'zilliz-byoc-a' }, storageRole: { name: 'zilliz-byoc-a' } })).toEqual([expect.stringMatching(/^storageRole\.name: "zilliz-byoc-a" is already the name of another role/)]);
  });

  it('requires the external ID of the cross-account role (X1) and checks its form', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', crossAccountRole: {} })).toEqual(['crossAccountRole.externalId: is required']);
    expect(problemsOf({ ...base, crossAccountRole: { externalId: 'has space' } })).toEqual([expect.stringMatching(/^crossAccountRole\.externalId: must be the external ID the vendor console shows/)]);
    expect(problemsOf({ ...base, crossAccountRole: { externalId: 'x' } })).toHaveLength(1);
  });

  it.each(['Upper-case', 'a', 'ends-with-dash-', '192.168.1.1', 'two..dots', 'xn--punycode', 'name-s3alias', 'x'.repeat(64)])('refuses the bucket name %j (S1)', (name) => {
    expect(problemsOf({ ...base, bucket: { name } })).toEqual([expect.stringMatching(/^bucket\.name: must be an S3 bucket name/)]);
  });

  it('needs a bucket name to use an existing bucket (S1)', () => {
    expect(problemsOf({ ...base, bucket: { existing: true } })).toEqual([expect.stringMatching(/^bucket\.name: is required with bucket\.existing: true/)]);
  });

  it('refuses a KMS key of another region or a malformed key ARN (S1)', () => {
    expect(problemsOf({ ...base, bucket: { kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f' } })).toEqual([
      expect.stringMatching(/^bucket\.kmsKeyArn: must be a key in the provisioning's region us-west-2/),
    ]);
    expect(problemsOf({ ...base, bucket: { kmsKeyArn: 'alias/mine' } })).toEqual([expect.stringMatching(/^bucket\.kmsKeyArn: must be a KMS key ARN/)]);
  });

  it('fills in the vendor-side defaults (names within zilliz-byoc*, gateway endpoint on, VPC-wide group)', () => {
    const config = buildConfig(parseRequest(base), { provisioningId: 'p-1', accountId: '123456789012', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] });
    expect(config.iamRole).toEqual({ name: 'zilliz-byoc-demo-eks-role', path: '/' });
    expect(config.storageRole).toEqual({ name: 'zilliz-byoc-demo-storage-role' });
    expect(config.crossAccountRole).toEqual({ name: 'zilliz-byoc-demo-cross-account-role', externalId: 'cid-0123456789abcdef', vendorPrincipalArn: 'arn:aws:iam::965570967084:role/zilliz-byoc' });
    expect(config.network.s3GatewayEndpoint).toEqual({ serviceName: 'com.amazonaws.us-west-2.s3' });
    expect(config.network.securityGroup).toEqual({ ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'], strict: false });
    expect(config.bucket).toEqual({ name: defaultBucketName({ projectName: 'demo', accountId: '123456789012', region: 'us-west-2', provisioningId: 'p-1' }), existing: false });
  });

  it('derives a valid, deterministic bucket name that differs per account, region and provisioning (S1)', () => {
    const facts = { projectName: 'x'.repeat(32), accountId: '123456789012', region: 'us-west-2', provisioningId: 'p-1' };
    const name = defaultBucketName(facts);
    expect(name).toMatch(/^zilliz-byoc-x{32}-milvus-[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(() => parseRequest({ ...base, bucket: { name } })).not.toThrow();
    expect(defaultBucketName(facts)).toBe(name);
    for (const other of [{ accountId: '210987654321' }, { region: 'eu-central-1' }, { provisioningId: 'p-2' }]) expect(defaultBucketName({ ...facts, ...other })).not.toBe(name);
  });

  it('takes the vendor principal from the deploy parameter when set (X1)', () => {
    process.env.BYOC_VENDOR_PRINCIPAL_ARN = 'arn:aws:iam::111122223333:role/zilliz-byoc-staging';
    try {
      const config = buildConfig(parseRequest(base), { provisioningId: 'p-1', accountId: '123456789012', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] });
      expect(config.crossAccountRole.vendorPrincipalArn).toBe('arn:aws:iam::111122223333:role/zilliz-byoc-staging');
    } finally {
      delete process.env.BYOC_VENDOR_PRINCIPAL_ARN;
    }
  });
});

describe('parseRequest on the OIDC issuer (R1)', () => {
  it('rejects an issuer URL IAM could not use, naming iamRole.oidcIssuerUrl', () => {
    expect(problemsOf({ crossAccountRole: { externalId: 'cid-0123456789abcdef' }, projectName: 'demo', region: 'us-west-2', iamRole: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com' } })).toEqual([
      expect.stringMatching(/^iamRole\.oidcIssuerUrl: must have a path after the host/),
    ]);
  });
});
