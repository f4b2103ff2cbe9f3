import { loadServerlessConfig } from '../../helpers/serverless-config';

type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
type Alarm = { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[]; Statistic: string; Threshold: number; ComparisonOperator: string; AlarmActions: unknown[]; TreatMissingData: string; AlarmName: string; AlarmDescription: string };

/** The helper reads `!Ref X` as `{ 'Fn::Ref': X }`; CloudFormation's own form is `{ Ref: X }`. */
function asCloudFormation(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asCloudFormation);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k === 'Fn::Ref' ? 'Ref' : k, asCloudFormation(v)]));
}

const config = asCloudFormation(loadServerlessConfig()) as {
  custom: Record<string, string>;
  resources: { Resources: Record<string, Resource>; Parameters: Record<string, { Type: string; Default: unknown; AllowedPattern: string }>; Conditions: Record<string, unknown>; Outputs: Record<string, { Value: unknown }> };
};
const { Resources: resources, Parameters: parameters, Conditions: conditions, Outputs: outputs } = config.resources;
const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm') as unknown as [string, { Properties: Alarm }][];
const topic = { Ref: 'AlarmTopic' };

/** What each alarm watches: namespace, metric, and the dimension that ties it to our resource. */
const EXPECTED = [
  ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', { Ref: 'ProvisionStateMachine' }],
  ['AWS/States', 'ExecutionsTimedOut', 'StateMachineArn', { Ref: 'ProvisionStateMachine' }],
  ['AWS/States', 'ExecutionsAborted', 'StateMachineArn', { Ref: 'ProvisionStateMachine' }],
  ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', { Ref: 'TeardownStateMachine' }],
  ['AWS/States', 'ExecutionsTimedOut', 'StateMachineArn', { Ref: 'TeardownStateMachine' }],
  ['AWS/States', 'ExecutionsAborted', 'StateMachineArn', { Ref: 'TeardownStateMachine' }],
  // The custom resource Lambda, by name (its FunctionName dimension counts every version).
  ['AWS/Lambda', 'Errors', 'FunctionName', { Ref: 'CustomResourceProviderLambdaFunction' }],
  // The framework's logical ID for the HTTP API is HttpApi.
  ['AWS/ApiGateway', '5xx', 'ApiId', { Ref: 'HttpApi' }],
] as const;

describe('serverless.yml: alarms and notifications', () => {
  it('has one SNS topic, exported, with an email subscription only when alarmEmail is given', () => {
    expect(resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
    expect(outputs.AlarmTopicArn.Value).toEqual(topic);
    expect(config.custom.alarmEmail).toBe("${param:alarmEmail, ''}");
    expect(parameters.AlarmEmail).toMatchObject({ Type: 'String', Default: '${self:custom.alarmEmail}' });
    expect(conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] });
    const subscriptions = Object.values(resources).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions).toEqual([{ Type: 'AWS::SNS::Subscription', Condition: 'HasAlarmEmail', Properties: { TopicArn: topic, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } } }]);
  });

  it('accepts an email address or nothing as alarmEmail', () => {
    const pattern = new RegExp(parameters.AlarmEmail.AllowedPattern);
    for (const ok of ['', 'ops@example.com', 'byoc+alarms@ops.example.co.uk']) expect(pattern.test(ok)).toBe(true);
    for (const bad of ['ops', 'ops@', 'ops @example.com', 'a@b']) expect({ bad, ok: pattern.test(bad) }).toEqual({ bad, ok: false });
  });

  it.each(EXPECTED)('alarms on %s %s of %s %j, sending to the topic', (namespace, metric, dimension, value) => {
    const matching = alarms.filter(([, a]) => a.Properties.Namespace === namespace && a.Properties.MetricName === metric && a.Properties.Dimensions.some((d) => d.Name === dimension && JSON.stringify(d.Value) === JSON.stringify(value)));
    expect(matching).toHaveLength(1);
    const [[, { Properties: alarm }]] = matching;
    expect(alarm.Dimensions).toHaveLength(1);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmActions: [topic] });
    // CloudWatch may publish only for alarms named like ours (the topic policy's condition).
    expect(alarm.AlarmName).toMatch(/^byoc-provisioner-\$\{sls:stage\}-/);
    expect(alarm.AlarmDescription).toContain('docs/decisions.md');
  });

  it('has no other alarm than those', () => {
    expect(alarms).toHaveLength(EXPECTED.length);
  });

  it('sends RollbackIncompleteError and TeardownIncompleteError of our two state machines to the topic, saying which provisioning and what is left', () => {
    const rule = resources.LeftoversRule as { Type: string; Properties: { EventPattern: Record<string, unknown>; Targets: { Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[] } };
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED'],
        stateMachineArn: [{ Ref: 'ProvisionStateMachine' }, { Ref: 'TeardownStateMachine' }],
        error: ['RollbackIncompleteError', 'TeardownIncompleteError'],
      },
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual(topic);
    const { InputPathsMap: paths, InputTemplate: text } = target.InputTransformer;
    expect(paths).toMatchObject({ name: '$.detail.name', execution: '$.detail.executionArn', error: '$.detail.error', cause: '$.detail.cause' });
    // Every <placeholder> is defined (EventBridge cannot escape < and >), and the message names the provisioning and what is left.
    const placeholders = [...text.matchAll(/<([^<>]*)>/g)].map((m) => m[1]);
    expect(new Set(placeholders)).toEqual(new Set(Object.keys(paths)));
    for (const used of ['<name>', '<error>', '<cause>', '<execution>']) expect(text).toContain(used);
    expect(text.trimStart().startsWith('{')).toBe(false);
  });

  it('lets EventBridge (only our rule) and CloudWatch (only our alarms) publish to the topic', () => {
    const policy = resources.AlarmTopicPolicy as { Type: string; Properties: { Topics: unknown[]; PolicyDocument: { Statement: { Effect: string; Principal: { Service: string }; Action: string; Resource: unknown; Condition: Record<string, Record<string, unknown>> }[] } } };
    expect(policy.Type).toBe('AWS::SNS::TopicPolicy');
    expect(policy.Properties.Topics).toEqual([topic]);
    const byService = Object.fromEntries(policy.Properties.PolicyDocument.Statement.map((s) => [s.Principal.Service, s]));
    expect(byService['events.amazonaws.com']).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: topic, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': 'LeftoversRule.Arn' } } } });
    expect(byService['cloudwatch.amazonaws.com']).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: topic, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
    expect(JSON.stringify(byService['cloudwatch.amazonaws.com'].Condition.ArnLike)).toContain(':alarm:byoc-provisioner-${sls:stage}-*');
  });
});
