import { InvalidInputError } from '../../shared/errors';
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
    const request = parseRequest({ projectName: 'demo', region: 'us-west-2' });
    expect(request.network.vpcCidr).toBe('10.0.0.0/16');
  });

  it('accepts the example request that npm start runs', () => {
    expect(() => parseRequest(example)).not.toThrow();
  });

  it('names each missing required field', () => {
    expect(problemsOf({})).toEqual(expect.arrayContaining(['projectName: is required', 'region: is required']));
  });

  it('names unknown fields instead of ignoring them (a typo must not silently fall back to a default)', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', network: { vpcCdir: '10.1.0.0/16' } })).toEqual(['network.vpcCdir: is not a known field']);
  });

  it('rejects an unsupported region and lists the supported ones (V1)', () => {
    const [problem] = problemsOf({ projectName: 'demo', region: 'ap-south-1' });
    expect(problem).toMatch(/^region: "ap-south-1" is not supported \(V1\); supported regions: ap-east-1, eu-central-1, eu-west-1, us-east-1, us-west-2$/);
  });

  it.each([
    ['10.0.0.0/20', 'must use a /16 netmask (V2)'],
    ['10.0.1.0/16', 'host bits must be zero: did you mean 10.0.0.0/16?'],
    ['8.8.0.0/16', 'must lie in a private range'],
    ['fd00::/16', 'IPv4 only'],
    ['banana', 'must be an IPv4 CIDR block'],
  ])('rejects the VPC CIDR %s, saying why', (cidr, why) => {
    const problems = problemsOf({ projectName: 'demo', region: 'us-west-2', network: { vpcCidr: cidr } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('network.vpcCidr: ');
    expect(problems[0]).toContain(why);
  });

  it('reports every problem at once, not just the first', () => {
    const problems = problemsOf({ projectName: 'Bad Name', region: 'mars-1', network: { vpcCidr: '1.2.3.4/8', availabilityZones: ['us-west-2a'] } });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['projectName', 'region', 'network.vpcCidr', 'network.availabilityZones']));
  });

  it('explains the project name rule in words', () => {
    expect(problemsOf({ projectName: 'Demo_1', region: 'us-west-2' })).toEqual(['projectName: must be 1-32 lowercase letters, digits or "-" (not at either end). Base of the Name tags (V8).']);
  });

  it('refuses private DNS without the VPC endpoint it points at (V10 requires V9)', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', network: { privateDns: { enabled: true } } })).toEqual([
      'network.privateDns.enabled: requires network.vpcEndpoint.enabled (V10 points at the V9 endpoint)',
    ]);
  });

  it('refuses private DNS in a region the guide gives no record name for', () => {
    const [problem] = problemsOf({ projectName: 'demo', region: 'us-east-1', network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } });
    expect(problem).toMatch(/^network\.privateDns\.enabled: no private DNS record name is known for region us-east-1/);
  });

  it('needs exactly three distinct zones of the request region when zones are given (V3)', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', network: { availabilityZones: ['us-west-2a', 'us-west-2a', 'us-west-2b'] } })[0]).toMatch(/^network\.availabilityZones: .*duplicate/);
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', network: { availabilityZones: ['us-west-2a', 'us-west-2b', 'eu-central-1a'] } })).toEqual([
      'network.availabilityZones.2: "eu-central-1a" is not a zone of region us-west-2',
    ]);
  });

  it('checks security group CIDRs (V7)', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', network: { securityGroup: { ingressCidrs: ['10.0.0.0/33'] } } })).toEqual([
      'network.securityGroup.ingressCidrs.0: "10.0.0.0/33" is not a valid IPv4 CIDR block',
    ]);
  });

  it('requires an external ID whenever a customer role is to be assumed', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/byoc' } })).toEqual(['targetAccount.externalId: is required']);
  });

  it('rejects an IAM role name IAM would reject', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', iamRole: { name: 'has space' } })[0]).toMatch(/^iamRole\.name: must be IAM role name: 1-64 of/);
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', iamRole: { name: 'x'.repeat(65) } })[0]).toMatch(/^iamRole\.name: /);
  });

  it('refuses tags in the reserved aws: namespace', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', tags: { 'aws:owner': 'me' } })).toEqual(['tags.aws:owner: key must be a tag key of 1-128 letters, digits, spaces or _.:/=+-@, not starting with "aws:"']);
  });

  it('says a non-object is not a request', () => {
    expect(problemsOf('hello')).toEqual(['(request): must be a JSON object']);
    expect(problemsOf([1])).toEqual(['(request): must be a JSON object']);
  });
});

describe('parseRequest on the OIDC issuer (R1)', () => {
  it('rejects an issuer URL IAM could not use, naming iamRole.oidcIssuerUrl', () => {
    expect(problemsOf({ projectName: 'demo', region: 'us-west-2', iamRole: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com' } })).toEqual([
      expect.stringMatching(/^iamRole\.oidcIssuerUrl: must have a path after the host/),
    ]);
  });
});
