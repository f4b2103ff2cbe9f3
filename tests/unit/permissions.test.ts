import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { loadServerlessConfig } from '../helpers/serverless-config';

const root = join(__dirname, '..', '..');
const SERVICE_PREFIX: Record<string, string> = {
  ec2: 'ec2',
  iam: 'iam',
  'route-53': 'route53',
  s3: 's3',
  sts: 'sts',
  sfn: 'states',
  lambda: 'lambda',
  eks: 'eks',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  dynamodb: 'dynamodb',
};

/**
 * S3's IAM action names differ from its API operation names (Service Authorization Reference, Amazon S3): the
 * operations the code calls, by the action IAM checks for them.
 */
const S3_ACTIONS: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjects: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  ListBuckets: 'ListAllMyBuckets',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  DeleteBucketTagging: 'PutBucketTagging',
  DeleteBucketPolicy: 'DeleteBucketPolicy',
};
const iamActionOf = (prefix: string, command: string): string => `${prefix}:${prefix === 's3' ? (S3_ACTIONS[command] ?? command) : command}`;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `service:Action` the product's code sends, read from its SDK imports (`import { XCommand } from '@aws-sdk/client-ec2'`). */
function actionsTheCodeCalls(): Set<string> {
  const actions = new Set<string>();
  for (const file of [...sources(join(root, 'shared')), ...sources(join(root, 'functions'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([\w-]+)'/g)) {
      const prefix = SERVICE_PREFIX[m[2]];
      for (const name of m[1].split(',').map((s) => s.trim())) {
        const command = /^(\w+)Command$/.exec(name)?.[1];
        if (command && prefix && new RegExp(`new ${command}Command\\b`).test(text)) actions.add(iamActionOf(prefix, command));
      }
    }
  }
  // GetCallerIdentity needs no permission on AWS (it always answers).
  actions.delete('sts:GetCallerIdentity');
  return actions;
}

type Statement = { Effect: string; Action: string | string[] };
function granted(statements: Statement[]): string[] {
  return statements.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}
const allows = (patterns: string[], action: string) => patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));

describe('IAM permissions match what the code calls (moto does not check IAM; real AWS does)', () => {
  const calls = actionsTheCodeCalls();

  it('finds the calls (the scan itself works)', () => {
    for (const a of ['ec2:CreateVpc', 'iam:CreateRole', 'route53:CreateHostedZone', 'states:StartExecution', 'lambda:Invoke']) expect(calls.has(a)).toBe(true);
  });

  it('grants every called action to some function role of serverless.yml', () => {
    const resources = loadServerlessConfig().resources.Resources as Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }>;
    const patterns = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Role')
      .flatMap((r) => (r.Properties.Policies ?? []).flatMap((p) => granted(p.PolicyDocument.Statement)));
    // InvokeCommand is lambda:InvokeFunction in IAM.
    const missing = [...calls].map((a) => (a === 'lambda:Invoke' ? 'lambda:InvokeFunction' : a)).filter((a) => !allows(patterns, a));
    expect(missing.sort()).toEqual([]);
  });

  it('grants every EC2, Route 53, IAM and S3 action the steps call to the customer role template', () => {
    const schema = yaml.DEFAULT_SCHEMA.extend(['Sub', 'GetAtt', 'Ref'].flatMap((n) => (['scalar', 'sequence'] as const).map((kind) => new yaml.Type(`!${n}`, { kind, construct: (d: unknown) => d }))));
    const template = yaml.load(readFileSync(join(root, 'deploy', 'customer-role.yaml'), 'utf8'), { schema }) as { Resources: { ProvisionerRole: { Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] } } } };
    const patterns = template.Resources.ProvisionerRole.Properties.Policies.flatMap((p) => granted(p.PolicyDocument.Statement));
    const inCustomerAccount = [...calls].filter((a) => /^(ec2|iam|route53|s3|eks|elasticloadbalancing):/.test(a));
    expect(inCustomerAccount.filter((a) => !allows(patterns, a)).sort()).toEqual([]);
  });
});
