import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { ATTRIBUTE_NAMES } from '../../../shared/cfn/attributes';
import { answerDeadline } from '../../../shared/cfn/custom-resource';
import { requestFromProperties, serviceTimeoutSeconds } from '../../../shared/cfn/identity';
import { parseRequest } from '../../../shared/request';

const file = join(__dirname, '..', '..', '..', 'examples', 'customer-stack.yaml');

/** CloudFormation's short forms as `{ 'Fn::X': ... }` / `{ Ref: ... }`, so the template reads like its JSON form. */
const schema = yaml.DEFAULT_SCHEMA.extend(
  ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'Join', 'Split', 'Select', 'ImportValue'].flatMap((name) =>
    (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => (name === 'Ref' ? { Ref: data } : { [`Fn::${name}`]: data }) })),
  ),
);

interface Template {
  Parameters: Record<string, { Type: string; Default?: string }>;
  Conditions: Record<string, unknown>;
  Resources: { Byoc: { Type: string; Properties: Record<string, unknown> } };
  Outputs: Record<string, { Value: unknown; Export?: unknown }>;
}
const template = yaml.load(readFileSync(file, 'utf8'), { schema }) as Template;
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * What CloudFormation hands the custom resource for these parameter values: intrinsics resolved, `AWS::NoValue`
 * keys dropped, and every scalar a string (CloudFormation sends `true` as "true").
 */
function resolveProperties(parameters: Record<string, string>): Record<string, unknown> {
  const param = (name: string): unknown => {
    const pseudo: Record<string, unknown> = { 'AWS::Region': 'us-west-2', 'AWS::StackName': 'byoc-demo', 'AWS::NoValue': NO_VALUE };
    if (name in pseudo) return pseudo[name];
    const spec = template.Parameters[name];
    if (!spec) throw new Error(`unknown parameter ${name}`);
    const value = parameters[name] ?? spec.Default;
    if (value === undefined) throw new Error(`parameter ${name} needs a value`);
    return spec.Type === 'CommaDelimitedList' ? value.split(',') : value;
  };
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((v) => v !== NO_VALUE);
    if (node && typeof node === 'object') {
      const [key, arg] = Object.entries(node)[0] ?? [];
      if (key === 'Ref' && Object.keys(node).length === 1) return param(arg as string);
      if (key === 'Fn::Sub') return (arg as string).replace(/\$\{([\w:]+)\}/g, (_m, name: string) => String(param(name)));
      if (key === 'Fn::Join') return (resolve((arg as unknown[])[1]) as unknown[]).join((arg as string[])[0]);
      if (key === 'Fn::Equals') return resolve((arg as unknown[])[0]) === resolve((arg as unknown[])[1]);
      if (key === 'Fn::Not') return !resolve((arg as unknown[])[0]);
      if (key === 'Fn::If') {
        const [condition, yes, no] = arg as [string, unknown, unknown];
        return resolve(resolve(template.Conditions[condition]) ? yes : no);
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const value = resolve(v);
        if (value !== NO_VALUE) out[k] = value;
      }
      return out;
    }
    return typeof node === 'boolean' || typeof node === 'number' ? String(node) : node;
  };
  return resolve(template.Resources.Byoc.Properties) as Record<string, unknown>;
}

const REQUIRED = { ServiceToken: 'arn:aws:lambda:us-west-2:111122223333:function:byoc-provisioner-prod-CustomResourceProvider', ZillizExternalId: 'cid-0a1b2c3d4e5f60718293' };

describe('examples/customer-stack.yaml (a customer stack with the custom resource)', () => {
  it('passes cfn-lint', () => {
    const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
    if (lint.error) throw new Error(`cfn-lint could not run: ${lint.error.message}`);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('sets a ServiceTimeout, and the provisioner answers before it runs out', () => {
    const properties = resolveProperties(REQUIRED);
    expect(properties.ServiceTimeout).toBe('3600');
    const now = Date.now();
    const deadline = Date.parse(answerDeadline({ ResourceProperties: properties as never }, now));
    expect(deadline).toBeLessThan(now + serviceTimeoutSeconds(properties) * 1000);
    expect(deadline).toBeGreaterThan(now + 50 * 60_000);
  });

  it.each([
    ['its defaults', {}],
    [
      'every optional parameter set',
      {
        ProvisionerRoleArn: 'arn:aws:iam::444455556666:role/ZillizByocProvisioner',
        ProvisionerExternalId: 'provisioner-external-id',
        VpcCidr: '10.20.0.0/16',
        AvailabilityZones: 'us-west-2a,us-west-2b,us-west-2c',
        IngressCidrs: '10.0.0.0/8,192.168.0.0/16',
        EgressCidrs: '0.0.0.0/0',
        StrictSecurityGroup: 'true',
        OidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF',
        PermissionsBoundaryArn: 'arn:aws:iam::444455556666:policy/boundary',
        KmsKeyArn: 'arn:aws:kms:us-west-2:444455556666:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
      },
    ],
    ['an existing bucket', { ExistingBucketName: 'my-existing-milvus-bucket' }],
  ])('hands the custom resource a valid request with %s', (_name, parameters) => {
    const request = requestFromProperties(resolveProperties({ ...REQUIRED, ...parameters }));
    expect(() => parseRequest(request)).not.toThrow();
    expect(request).toMatchObject({ region: 'us-west-2', network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true }, s3GatewayEndpoint: { enabled: true } }, crossAccountRole: { externalId: REQUIRED.ZillizExternalId } });
  });

  it('exports every attribute of the resource, and reads only attributes the resource has', () => {
    const read = Object.values(template.Outputs).map((o) => (o.Value as { 'Fn::GetAtt': string })['Fn::GetAtt']);
    expect(read.map((r) => r.split('.')[0])).toEqual(read.map(() => 'Byoc'));
    expect(read.map((r) => r.split('.')[1]).sort()).toEqual([...ATTRIBUTE_NAMES].sort());
    expect(Object.values(template.Outputs).every((o) => o.Export)).toBe(true);
  });
});
