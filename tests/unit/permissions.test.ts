import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionOf } from '../../local/realism/account-faults';
import { authorizationChecks, S3_ACTIONS } from '../../local/realism/iam';
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
  'service-quotas': 'servicequotas',
};

/** The services the local stack's IAM enforcement judges, by IAM prefix (and the name the enforcement knows them by). */
const JUDGED: Record<string, string> = { ec2: 'ec2', iam: 'iam', route53: 'route53', s3: 's3', sts: 'sts', eks: 'eks', elasticloadbalancing: 'elbv2' };

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

/**
 * What the IAM evaluation cannot see. The calls the steps make to EC2, IAM, Route 53, S3, STS, EKS and ELB are judged
 * on the local stack by the policy simulator against the very templates (tests/integration/iam-enforcement runs the
 * whole workflow so, and every realistic run does); these tests keep the rest honest: that the scan finds the calls,
 * that the evaluation knows what AWS authorizes for each of those calls, and that the services it does not judge
 * (Step Functions, Lambda, DynamoDB, ...: the API, the custom resource, the state machines) are granted by name.
 */
describe('IAM permissions and what the code calls', () => {
  const calls = actionsTheCodeCalls();

  it('finds the calls (the scan itself works)', () => {
    for (const a of ['ec2:CreateVpc', 'iam:CreateRole', 'route53:CreateHostedZone', 'states:StartExecution', 'lambda:Invoke']) expect(calls.has(a)).toBe(true);
  });

  it('knows what AWS authorizes for every call to a judged service (else enforcement refuses the call as unknown)', async () => {
    const scope = { accountId: '123456789012', region: 'us-west-2', partition: 'aws' };
    const facts = { ec2: async () => ({ tags: {}, vpcId: 'vpc-1', routeTableId: 'rtb-1', subnetId: 'subnet-1' }), role: async () => ({ tags: {} }) };
    const operationOf = (action: string, prefix: string) => {
      const name = action.split(':')[1];
      return prefix === 's3' ? (Object.entries(S3_ACTIONS).find(([, a]) => a === name)?.[0] ?? name) : name;
    };
    const unknown: string[] = [];
    for (const action of calls) {
      const prefix = action.split(':')[0];
      if (!JUDGED[prefix]) continue;
      if (!(await authorizationChecks(JUDGED[prefix], operationOf(action, prefix), { Bucket: 'b', RoleName: 'r', HostedZoneId: 'Z1', ResourceId: 'Z1', Id: 'C1', PolicyArn: 'arn:aws:iam::aws:policy/P' }, scope, facts))) unknown.push(action);
    }
    expect(unknown.sort()).toEqual([]);
  });

  it('grants every called action of the services the evaluation does not judge to some function role of serverless.yml', () => {
    const resources = loadServerlessConfig().resources.Resources as Record<string, { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }>;
    const patterns = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Role')
      .flatMap((r) => (r.Properties.Policies ?? []).flatMap((p) => granted(p.PolicyDocument.Statement)));
    // InvokeCommand is lambda:InvokeFunction in IAM.
    const notJudged = [...calls].filter((a) => !JUDGED[a.split(':')[0]]);
    expect(notJudged.length).toBeGreaterThan(3);
    const missing = notJudged.map((a) => (a === 'lambda:Invoke' ? 'lambda:InvokeFunction' : a)).filter((a) => !allows(patterns, a));
    expect(missing.sort()).toEqual([]);
  });
});
