import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeholdersOf } from '../../local/engine';

const root = join(__dirname, '..', '..');

type Resource = { Type: string; Condition?: string; DeletionPolicy?: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, unknown>; Outputs?: Record<string, { Value: unknown }> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const MACHINES = ['ProvisionStateMachine', 'TeardownStateMachine'];

/** An IAM Resource pattern, read strictly: `*` and `?` never match a `:`. (IAM's own `*` also spans colons, so this is the safe side.) */
const strictlyMatches = (pattern: string, arn: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^:]*').replace(/\?/g, '[^:]')}$`).test(arn);

/** `!Sub` of a pseudo-parameter-only string, as CloudFormation would resolve it in this account and region. */
const resolveSub = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (value as { 'Fn::Sub': string })['Fn::Sub'];
  return text.replace('${AWS::Partition}', 'aws').replace('${AWS::Region}', 'eu-central-1').replace('${AWS::AccountId}', '123456789012');
};

/**
 * The real-AWS path is proven by packaging: `npm run package` must build the CloudFormation template offline with
 * dummy credentials, and cfn-lint must find no error in it.
 */
describe('npm run package (offline, dummy credentials)', () => {
  const out = mkdtempSync(join(tmpdir(), 'byoc-package-'));
  let template: Template;

  beforeAll(() => {
    // Package a copy of the service, so a `npm run package` in the checkout at the same time cannot collide with
    // this one in .serverless/ and .esbuild/ (serverless-esbuild's work folders live in the service folder).
    const copy = mkdtempSync(join(tmpdir(), 'byoc-service-'));
    // deploy/ holds the local plugin serverless.yml loads (deploy/plugins/published-versions.js).
    for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'shared', 'statemachine', 'bin', 'deploy']) cpSync(join(root, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const run = spawnSync(process.execPath, [join(copy, 'bin', 'package.js'), '--package', out, '--stage', 'ci', '--region', 'eu-central-1'], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
    if (run.status !== 0) throw new Error(`package failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 180_000);

  it('produces a template that cfn-lint accepts with no errors (warnings allowed)', () => {
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', join(out, 'cloudformation-template-update-stack.json')], { encoding: 'utf8' });
    if (lint.error) throw new Error(`cfn-lint could not run: ${lint.error.message} (it ships in the machine image's Python: pip install cfn-lint)`);
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    expect((lint.status ?? 0) & 2).toBe(0);
  });

  it('builds one small zip per function', () => {
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(zips.length).toBe(functions.length);
    for (const zip of zips) expect(statSync(join(out, zip)).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('runs every function on nodejs22.x with its own role', () => {
    for (const [name, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      expect({ name, runtime: r.Properties.Runtime }).toEqual({ name, runtime: 'nodejs22.x' });
      expect(r.Properties.Role).toHaveProperty('Fn::GetAtt');
    }
  });

  it('fills every placeholder of both state machines from DefinitionSubstitutions', () => {
    for (const id of MACHINES) {
      const machine = template.Resources[id];
      expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
      const definition = JSON.stringify(machine.Properties.DefinitionString);
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      for (const p of placeholdersOf(definition)) expect(substitutions).toHaveProperty(`${p}FunctionArn`);
    }
  });

  describe('published Lambda versions (a redeploy never changes the code under a running execution)', () => {
    const substitutionsOf = (id: string) => Object.entries(template.Resources[id].Properties.DefinitionSubstitutions as Record<string, unknown>);
    const functionOf = (key: string) => `${key.replace(/FunctionArn$/, '')}LambdaFunction`;

    it('substitutes every function placeholder with !Ref of a version of that function, which the template publishes', () => {
      for (const id of MACHINES) {
        const functionKeys = placeholdersOf(JSON.stringify(template.Resources[id].Properties.DefinitionString)).map((p) => `${p}FunctionArn`);
        for (const [key, value] of substitutionsOf(id).filter(([k]) => functionKeys.includes(k))) {
          const ref = (value as { Ref?: string }).Ref;
          expect({ id, key, value }).toEqual({ id, key, value: { Ref: expect.stringMatching(/LambdaVersion/) } });
          const version = template.Resources[ref!];
          expect({ ref, type: version?.Type }).toEqual({ ref, type: 'AWS::Lambda::Version' });
          expect(version.Properties.FunctionName).toEqual({ Ref: functionOf(key) });
          expect(template.Resources[functionOf(key)].Type).toBe('AWS::Lambda::Function');
          // Old versions are kept on redeploy: executions started before it still call them.
          expect(version.DeletionPolicy).toBe('Retain');
        }
        expect(functionKeys.length).toBeGreaterThan(10);
      }
    });

    it('leaves no unqualified function ARN (which runs $LATEST) in either state machine', () => {
      for (const id of MACHINES) {
        const { DefinitionString, DefinitionSubstitutions } = template.Resources[id].Properties;
        const text = JSON.stringify({ DefinitionString, DefinitionSubstitutions });
        expect(text).not.toMatch(/LambdaFunction(\.Arn|",\s*"Arn")/);
        expect(text).not.toMatch(/:function:[\w-]+"/);
      }
    });

    it("lets the state machines' role invoke every version of every function they call (qualified ARNs)", () => {
      for (const id of MACHINES) {
        const roleId = (template.Resources[id].Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const statements = (template.Resources[roleId].Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
        const patterns = statements
          .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('lambda:InvokeFunction'))
          .flatMap((s) => [s.Resource].flat())
          .map(resolveSub);
        for (const [key] of substitutionsOf(id).filter(([, v]) => String((v as { Ref?: string }).Ref).includes('LambdaVersion'))) {
          const name = template.Resources[functionOf(key)].Properties.FunctionName as string;
          for (const arn of [`arn:aws:lambda:eu-central-1:123456789012:function:${name}:1`, `arn:aws:lambda:eu-central-1:123456789012:function:${name}:417`]) {
            expect({ arn, allowed: patterns.some((p) => strictlyMatches(p, arn)) }).toEqual({ arn, allowed: true });
          }
        }
      }
    });
  });

  describe('alarms and notifications', () => {
    const topic = { Ref: 'AlarmTopic' };

    it('sends an alarm to the topic for each metric, on a dimension that is one of our resources', () => {
      const expected: [string, string, string, string, string][] = [
        ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', 'ProvisionStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/States', 'ExecutionsTimedOut', 'StateMachineArn', 'ProvisionStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/States', 'ExecutionsAborted', 'StateMachineArn', 'ProvisionStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', 'TeardownStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/States', 'ExecutionsTimedOut', 'StateMachineArn', 'TeardownStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/States', 'ExecutionsAborted', 'StateMachineArn', 'TeardownStateMachine', 'AWS::StepFunctions::StateMachine'],
        ['AWS/Lambda', 'Errors', 'FunctionName', 'CustomResourceProviderLambdaFunction', 'AWS::Lambda::Function'],
        ['AWS/ApiGateway', '5xx', 'ApiId', 'HttpApi', 'AWS::ApiGatewayV2::Api'],
      ];
      const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect(alarms).toHaveLength(expected.length);
      expect(template.Resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
      for (const [namespace, metric, dimension, target, type] of expected) {
        const alarm = alarms.find((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metric && JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: dimension, Value: { Ref: target } }]));
        expect({ metric, target, found: Boolean(alarm) }).toEqual({ metric, target, found: true });
        expect(template.Resources[target].Type).toBe(type);
        expect(alarm!.Properties.AlarmActions).toEqual([topic]);
        expect(alarm!.Properties.AlarmName).toMatch(/^byoc-provisioner-ci-/);
      }
    });

    it('subscribes alarmEmail only when it is given (a CloudFormation condition on the parameter)', () => {
      const subscription = Object.values(template.Resources).find((r) => r.Type === 'AWS::SNS::Subscription');
      expect(subscription).toMatchObject({ Condition: 'HasAlarmEmail', Properties: { TopicArn: topic, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } } });
      expect(template.Conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] });
      expect((template as { Parameters?: Record<string, { Default: string }> }).Parameters?.AlarmEmail.Default).toBe('');
      expect(template.Outputs?.AlarmTopicArn.Value).toEqual(topic);
    });

    it('notifies the topic of RollbackIncompleteError and TeardownIncompleteError of both state machines, and lets EventBridge publish', () => {
      const rule = template.Resources.LeftoversRule as { Type: string; Properties: { EventPattern: { detail: Record<string, unknown[]> }; Targets: { Arn: unknown; InputTransformer: { InputTemplate: string } }[] } };
      expect(rule.Type).toBe('AWS::Events::Rule');
      expect(rule.Properties.EventPattern.detail.error).toEqual(['RollbackIncompleteError', 'TeardownIncompleteError']);
      expect(rule.Properties.EventPattern.detail.stateMachineArn).toEqual(MACHINES.map((id) => ({ Ref: id })));
      expect(rule.Properties.Targets.map((t) => t.Arn)).toEqual([topic]);
      expect(rule.Properties.Targets[0].InputTransformer.InputTemplate).toMatch(/<name>[\s\S]*<cause>/);
      const statements = (template.Resources.AlarmTopicPolicy.Properties.PolicyDocument as { Statement: { Principal: { Service: string }; Condition: unknown }[] }).Statement;
      expect(statements.find((s) => s.Principal.Service === 'events.amazonaws.com')?.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['LeftoversRule', 'Arn'] } } });
    });
  });

  describe('drift: the health sweep schedule (docs/decisions.md 26)', () => {
    type Parameter = { Default: string; AllowedPattern: string };
    const parameters = () => (template as { Parameters?: Record<string, Parameter> }).Parameters!;

    it('makes the schedule and its role only when healthCheckRate is given (off by default)', () => {
      expect(parameters().HealthCheckRate.Default).toBe('');
      expect(template.Conditions?.HasHealthCheckRate).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'HealthCheckRate' }, ''] }] });
      const schedule = template.Resources.HealthSweepSchedule;
      expect(schedule).toMatchObject({
        Type: 'AWS::Scheduler::Schedule',
        Condition: 'HasHealthCheckRate',
        Properties: { ScheduleExpression: { Ref: 'HealthCheckRate' }, Target: { Arn: { 'Fn::GetAtt': ['HealthSweepLambdaFunction', 'Arn'] }, RoleArn: { 'Fn::GetAtt': ['HealthSweepSchedulerRole', 'Arn'] } } },
      });
      const role = template.Resources.HealthSweepSchedulerRole;
      expect(role.Condition).toBe('HasHealthCheckRate');
      const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: { Principal: { Service: string } }[] }).Statement;
      expect(trust.map((s) => s.Principal.Service)).toEqual(['scheduler.amazonaws.com']);
      // The scheduler may invoke the sweep and nothing else.
      const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': ['HealthSweepLambdaFunction', 'Arn'] } }]);
    });

    it('accepts rate() and cron() expressions and refuses anything else', () => {
      const pattern = new RegExp(parameters().HealthCheckRate.AllowedPattern);
      for (const ok of ['', 'rate(1 day)', 'rate(12 hours)', 'cron(0 6 * * ? *)']) expect({ ok, matches: pattern.test(ok) }).toEqual({ ok, matches: true });
      for (const bad of ['1 day', 'rate(day)', 'rate(1 week)', 'daily']) expect({ bad, matches: pattern.test(bad) }).toEqual({ bad, matches: false });
    });

    it('passes cfn-lint with the schedule on (healthCheckRate=rate(1 day))', () => {
      const withSchedule = join(out, 'with-health-schedule.json');
      const copy = JSON.parse(JSON.stringify(template)) as Template & { Parameters: Record<string, Parameter> };
      copy.Parameters.HealthCheckRate.Default = 'rate(1 day)';
      writeFileSync(withSchedule, JSON.stringify(copy));
      const lint = spawnSync('cfn-lint', ['--format', 'parseable', withSchedule], { encoding: 'utf8' });
      expect(lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
      expect((lint.status ?? 0) & 2).toBe(0);
    });
  });
});
