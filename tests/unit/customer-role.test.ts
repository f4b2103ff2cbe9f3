import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { loadServerlessConfig } from '../helpers/serverless-config';

const root = join(__dirname, '..', '..');
const file = join(root, 'deploy', 'customer-role.yaml');

type Statement = { Action: string | string[]; Condition?: unknown };
type Role = { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] | string } }[] } };

/** Every action a role's inline policies allow (both branches of an `!If` in an action list). */
function actionsOf(role: Role): Set<string> {
  const statements = (role.Properties.Policies ?? []).flatMap((p) => (Array.isArray(p.PolicyDocument.Statement) ? p.PolicyDocument.Statement : []));
  const flat = (a: unknown): string[] =>
    typeof a === 'string' ? [a] : Array.isArray(a) ? a.flatMap(flat) : a && typeof a === 'object' && 'Fn::If' in a ? (a as { 'Fn::If': unknown[] })['Fn::If'].slice(1).flatMap(flat) : [];
  return new Set(statements.flatMap((s) => flat(s.Action)));
}

describe('deploy/customer-role.yaml (the role a customer creates for cross-account provisioning)', () => {
  const schema = yaml.DEFAULT_SCHEMA.extend(
    ['Sub', 'GetAtt', 'Ref', 'If', 'Equals', 'Not', 'Join', 'Select', 'Split'].flatMap((n) =>
      (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${n}`, { kind, construct: (d: unknown) => ({ [`Fn::${n}`]: d }) })),
    ),
  );
  const template = yaml.load(readFileSync(file, 'utf8'), { schema }) as { Resources: { ProvisionerRole: Role & { Properties: { AssumeRolePolicyDocument: { Statement: { Condition: unknown }[] } } } } };

  it('passes cfn-lint', () => {
    const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('can only be assumed with the external ID', () => {
    expect(template.Resources.ProvisionerRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': { 'Fn::Ref': 'ExternalId' } } });
  });

  it('allows every AWS action the network, IAM and bucket steps use in the customer account (and no more services)', () => {
    const config = loadServerlessConfig();
    const resources = config.resources.Resources as Record<string, Role>;
    const needed = new Set([...actionsOf(resources.NetworkStepsRole), ...actionsOf(resources.IamStepsRole), ...actionsOf(resources.StorageStepsRole), ...actionsOf(resources.ReadOnlyStepsRole)]);
    needed.delete('sts:AssumeRole'); // ours, to get into the customer account
    for (const a of ['route53:Get*', 'route53:List*']) needed.delete(a); // read-only wildcards of Verify, covered by the explicit reads
    const granted = actionsOf(template.Resources.ProvisionerRole);
    expect([...needed].filter((a) => !granted.has(a)).sort()).toEqual([]);
    // servicequotas: the preflight reads the account's quotas (decision 23).
    expect([...granted].filter((a) => !/^(ec2|route53|iam|s3|sts|eks|elasticloadbalancing|servicequotas):/.test(a))).toEqual([]);
  });
});
