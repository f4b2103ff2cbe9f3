import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as errors from '../../shared/errors';
import { RETRYABLE_ERROR_NAMES, TERMINAL_ERROR_NAMES, WORKFLOW_ERROR_NAMES } from '../../shared/errors';
import { allStates, placeholdersOf, WORKFLOWS } from '../../local/engine';
import { localFunctions } from '../../local/functions';
import { isServiceIntegration } from '../../local/service-integrations';
import { LAMBDA_CRASH_ERRORS } from '../../local/lambda-runtime';
import { COMPLETION_DETAIL_TYPES, COMPLETION_EVENT_SOURCE, DYNAMODB_TRANSIENT_ERRORS, EVENTBRIDGE_TRANSIENT_ERRORS, REGISTRY_TABLE_PLACEHOLDER, UPDATE_EXECUTION_MARKER } from '../../shared/constants';
import { loadServerlessConfig } from '../helpers/serverless-config';

const root = join(__dirname, '..', '..');
const files = Object.values(WORKFLOWS).map((f) => join(root, 'statemachine', f));
const definitions = files.map((file) => ({ file, text: readFileSync(file, 'utf8'), json: JSON.parse(readFileSync(file, 'utf8')) }));
const known = new Set<string>([...RETRYABLE_ERROR_NAMES, ...TERMINAL_ERROR_NAMES, ...WORKFLOW_ERROR_NAMES]);
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

type AnyState = { Type: string; Next?: string; Default?: string; End?: boolean; Resource?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };

const PUBLISH = 'arn:aws:states:::events:putEvents';
const isRegistryWrite = (s: AnyState | undefined): boolean => s?.Type === 'Task' && s.Resource === 'arn:aws:states:::dynamodb:updateItem';
const isPublish = (s: AnyState | undefined): boolean => s?.Type === 'Task' && s.Resource === PUBLISH;
/** The states that can go to `target` (Next, a choice, the default, a catch). */
const predecessors = (states: Record<string, AnyState>, target: string): [string, AnyState][] =>
  Object.entries(states).filter(([, s]) => [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].includes(target));

/** States reachable from `from` without going through any of `avoid` (Next, Choices, Default, Catch). */
function reachableAvoiding(states: Record<string, AnyState>, from: string, avoid: string | string[]): Set<string> {
  const avoided = new Set([avoid].flat());
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (avoided.has(name) || seen.has(name)) continue;
    seen.add(name);
    const s = states[name];
    stack.push(...[s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => Boolean(n)));
  }
  return seen;
}

describe.each(definitions)('the state machine $file', ({ file, text, json }) => {
  const allTasks = allStates(json).filter(([, s]) => s.Type === 'Task') as [string, { Resource: string; Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[]; Next: string }[] }][];
  // Lambda Tasks (the steps) and SDK service-integration Tasks (the registry writes) follow different rules.
  const tasks = allTasks.filter(([, s]) => !isServiceIntegration(s.Resource));
  type Integration = { Resource: string; TimeoutSeconds?: number; Parameters: Record<string, unknown>; ResultPath?: unknown; Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[]; Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: unknown }[]; Next?: string };
  const allIntegrations = allTasks.filter(([, s]) => isServiceIntegration(s.Resource)) as [string, Integration][];
  // The registry's reads and writes (dynamodb), and the completion events (events:putEvents, docs/events.md).
  const integrations = allIntegrations.filter(([, s]) => s.Resource.includes(':::dynamodb:'));
  const publishes = allIntegrations.filter(([, s]) => s.Resource === PUBLISH);

  it('passes asl-validator', () => {
    const bin = join(root, 'node_modules', '.bin', 'asl-validator');
    expect(() => execFileSync(bin, ['--json-path', file], { stdio: 'pipe' })).not.toThrow();
  });

  it('is plain JSONPath ASL: no JSONata, no Assign variables, no CloudFormation syntax', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"|"Assign"\s*:|Fn::|"Ref"\s*:/);
  });

  it('retries the transient Lambda service errors in every Task', () => {
    for (const [name, state] of tasks) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, missing: LAMBDA_TRANSIENT.filter((e) => !retried.includes(e)) }).toEqual({ name, missing: [] });
    }
  });

  it('retries a Lambda that died after acting (timeout, out of memory: Lambda.Unknown and the names executions show) in every Task (decision 24)', () => {
    for (const [name, state] of tasks) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, missing: ['Lambda.Unknown', ...Object.values(LAMBDA_CRASH_ERRORS)].filter((e) => !retried.includes(e)) }).toEqual({ name, missing: [] });
    }
  });

  it('gives every Task a TimeoutSeconds above its Lambda timeout, so a hung call ends (and is retried) instead of waiting a year', () => {
    const functions = loadServerlessConfig().functions as Record<string, { timeout?: number }>;
    for (const [name, state] of tasks as [string, { Resource: string; TimeoutSeconds?: number }][]) {
      const fn = /\$\{(\w+)FunctionArn\}/.exec(state.Resource)?.[1];
      const lambdaTimeout = (fn && functions[fn]?.timeout) || 60;
      expect({ name, timeout: state.TimeoutSeconds !== undefined && state.TimeoutSeconds > lambdaTimeout }).toEqual({ name, timeout: true });
    }
  });

  it('retries Lambda throttling long enough for an account with a low concurrency limit (minutes, not seconds)', () => {
    for (const [name, state] of tasks as [string, { Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; MaxDelaySeconds?: number }[] }][]) {
      const rule = (state.Retry ?? []).find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      expect({ name, attempts: rule?.MaxAttempts }).toEqual({ name, attempts: 12 });
    }
  });

  it('never retries a terminal error', () => {
    for (const [name, state] of tasks) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, retriedTerminal: retried.filter((e) => (TERMINAL_ERROR_NAMES as readonly string[]).includes(e) || e === 'States.ALL') }).toEqual({ name, retriedTerminal: [] });
    }
  });

  it('uses no service integration but the registry\'s dynamodb:updateItem and dynamodb:getItem and the completion events\' events:putEvents', () => {
    expect(allIntegrations.filter(([, s]) => !s.Resource.includes(':::dynamodb:') && s.Resource !== PUBLISH)).toEqual([]);
  });

  it('routes only on error names that shared/errors.ts defines (or States.* / Lambda.* / the DynamoDB and EventBridge integrations\')', () => {
    const names = allStates(json).flatMap(([, s]) => [...((s as { Retry?: { ErrorEquals: string[] }[] }).Retry ?? []), ...((s as { Catch?: { ErrorEquals: string[] }[] }).Catch ?? [])].flatMap((r) => r.ErrorEquals));
    for (const name of names) {
      if (name.startsWith('States.') || name.startsWith('Lambda.') || (Object.values(LAMBDA_CRASH_ERRORS) as string[]).includes(name)) continue;
      if (name.startsWith('DynamoDB.')) {
        expect(DYNAMODB_TRANSIENT_ERRORS as readonly string[]).toContain(name);
        continue;
      }
      if (name.startsWith('EventBridge.')) {
        expect(EVENTBRIDGE_TRANSIENT_ERRORS as readonly string[]).toContain(name);
        continue;
      }
      expect(known.has(name) ? name : `unknown error name ${name}`).toBe(name);
      expect(typeof (errors as Record<string, unknown>)[name] === 'function' || (WORKFLOW_ERROR_NAMES as readonly string[]).includes(name)).toBe(true);
    }
  });

  it('names a local function for every Lambda placeholder', () => {
    for (const name of placeholdersOf(text)) expect(Object.keys(localFunctions)).toContain(name);
  });

  it('writes the registry only with the dynamodb:updateItem SDK integration, to the ${RegistryTableName} table, keeping the state (ResultPath null)', () => {
    const writes = integrations.filter(([, s]) => !s.Resource.endsWith(':getItem'));
    expect(writes.length).toBeGreaterThan(0);
    for (const [name, state] of writes) {
      expect({ name, resource: state.Resource, table: state.Parameters.TableName, resultPath: state.ResultPath }).toEqual({
        name,
        resource: 'arn:aws:states:::dynamodb:updateItem',
        table: `\${${REGISTRY_TABLE_PLACEHOLDER}}`,
        resultPath: null,
      });
    }
  });

  it('reads the registry only with dynamodb:getItem of named attributes (a projection, strongly consistent), into a key of its own', () => {
    for (const [name, state] of integrations.filter(([, s]) => s.Resource.endsWith(':getItem'))) {
      expect({ name, resource: state.Resource, table: state.Parameters.TableName, consistent: state.Parameters.ConsistentRead, projection: typeof state.Parameters.ProjectionExpression }).toEqual({
        name,
        resource: 'arn:aws:states:::dynamodb:getItem',
        table: `\${${REGISTRY_TABLE_PLACEHOLDER}}`,
        consistent: true,
        projection: 'string',
      });
      expect({ name, resultPath: typeof state.ResultPath === 'string' && state.ResultPath !== '$' }).toEqual({ name, resultPath: true });
    }
  });

  it('gives every registry write a TimeoutSeconds and retries DynamoDB\'s transient errors (writes are idempotent: SET, and ADD to the version)', () => {
    for (const [name, state] of integrations) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, timeout: typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > 0 && state.TimeoutSeconds <= 60, missing: DYNAMODB_TRANSIENT_ERRORS.filter((e) => !retried.includes(e)) }).toEqual({ name, timeout: true, missing: [] });
      expect({ name, attempts: Math.max(...(state.Retry ?? []).map((r) => r.MaxAttempts ?? 3)) }).toEqual({ name, attempts: 6 });
    }
  });

  it('records its end in the registry, then publishes one completion event, before every end state (Succeed, Fail, End): the registry never misses how an execution ended, and a subscriber hears of it only once the registry says so', () => {
    const states = json.States as Record<string, AnyState>;
    const ends = Object.entries(states).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true);
    expect(ends.length).toBeGreaterThan(0);
    for (const [end] of ends) {
      // Right before the end: only event publishes (one per way of ending).
      const notPublished = predecessors(states, end).filter(([, s]) => !isPublish(s)).map(([n]) => n);
      expect({ end, notPublished }).toEqual({ end, notPublished: [] });
      for (const [publish] of predecessors(states, end)) {
        // Before each publish: the registry write of that end, directly or through a choice of which event to send.
        const before = predecessors(states, publish);
        const writes = before.flatMap(([n, s]) => (s.Type === 'Choice' ? predecessors(states, n) : [[n, s] as [string, AnyState]]));
        expect({ publish, before: before.length > 0, notRecorded: writes.filter(([, s]) => !isRegistryWrite(s)).map(([n]) => n) }).toEqual({ publish, before: true, notRecorded: [] });
      }
    }
  });

  it('publishes each completion event as docs/events.md says: default bus, our source, a documented detail-type whose status is the one the registry write before it records, the execution, and the outputs or the error', () => {
    const states = json.States as Record<string, AnyState & { Parameters?: { Entries?: Record<string, unknown>[]; ExpressionAttributeValues?: Record<string, { S?: string }> } }>;
    expect(publishes.length).toBeGreaterThan(0);
    for (const [name, state] of publishes) {
      const entries = state.Parameters.Entries as Record<string, unknown>[];
      expect({ name, entries: entries.length }).toEqual({ name, entries: 1 });
      const [entry] = entries;
      expect({ name, bus: entry.EventBusName, source: entry.Source }).toEqual({ name, bus: 'default', source: COMPLETION_EVENT_SOURCE });
      const type = COMPLETION_DETAIL_TYPES[entry.DetailType as keyof typeof COMPLETION_DETAIL_TYPES];
      expect({ name, documented: Boolean(type) }).toEqual({ name, documented: true });
      const detail = entry.Detail as Record<string, unknown>;
      expect({ name, status: detail.status, kind: detail.kind }).toEqual({ name, status: type.status, kind: type.kind });
      expect({ name, execution: detail['executionArn.$'], executionName: detail['executionName.$'], id: typeof detail['provisioningId.$'] }).toEqual({ name, execution: '$$.Execution.Id', executionName: '$$.Execution.Name', id: 'string' });
      for (const key of ['region', 'account']) expect({ name, key, present: `${key}.$` in detail || detail[key] === null }).toEqual({ name, key, present: true });
      const failed = type.status.endsWith('FAILED') || ['ROLLED_BACK', 'ROLLBACK_INCOMPLETE'].includes(type.status);
      expect({ name, shape: failed ? ['error' in detail || 'error.$' in detail, 'cause.$' in detail] : ['outputs' in detail || 'outputs.$' in detail] }).toEqual({ name, shape: failed ? [true, true] : [true] });
      // The registry write before it (directly, or through the choice of event) records the same status.
      const writes = predecessors(states, name).flatMap(([n, s]) => (s.Type === 'Choice' ? predecessors(states, n) : [[n, s] as [string, AnyState]]));
      for (const [write] of writes) expect({ name, write, outcome: states[write].Parameters?.ExpressionAttributeValues?.[':outcome']?.S }).toEqual({ name, write, outcome: type.status });
    }
  });

  it('never lets a failed publish change how the execution ends: a short timeout, retries of EventBridge\'s transient errors, then a catch that goes on to the same end, keeping the state', () => {
    for (const [name, state] of publishes) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({
        name,
        timeout: typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > 0 && state.TimeoutSeconds <= 60,
        missing: [...EVENTBRIDGE_TRANSIENT_ERRORS, 'States.Timeout'].filter((e) => !retried.includes(e)),
        resultPath: state.ResultPath,
        catches: (state.Catch ?? []).map((c) => [c.ErrorEquals, c.ResultPath, c.Next]),
      }).toEqual({ name, timeout: true, missing: [], resultPath: null, catches: [[['States.ALL'], null, state.Next]] });
    }
  });
});

describe('the registry writes at the start of each workflow', () => {
  it.each([
    ['provision.asl.json', ['RecordProvisioningStarted', 'RecordUpdateStarted'], ['ValidateExecutionName']],
    ['teardown.asl.json', ['RecordTeardownStarted'], ['ValidateTeardownInput']],
  ])('%s runs no step that acts before %s (only validation)', (file, records, allowed) => {
    const json = definitions.find((d) => d.file.endsWith(file))!.json as { StartAt: string; States: Record<string, AnyState> };
    const before = [...reachableAvoiding(json.States, json.StartAt, records)];
    const lambdas = before.filter((n) => json.States[n].Type === 'Task' && !isServiceIntegration(json.States[n].Resource ?? '') && !allowed.includes(n));
    expect(lambdas).toEqual([]);
    for (const record of records) expect(json.States[record]).toBeDefined();
  });
});

describe('the provision workflow', () => {
  const provision = definitions.find((d) => d.file.endsWith('provision.asl.json'))!.json;

  it('sends every top-level forward state that can leave something behind into the rollback, through the one choice that spares an update (branch steps are covered by their Parallel)', () => {
    const topLevel = Object.entries(provision.States as Record<string, { Type: string; Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[] }>);
    // Registry writes (SDK integrations) make nothing that could be left behind.
    const forward = topLevel.filter(
      ([name, s]) => (s.Type === 'Task' || s.Type === 'Parallel') && !isServiceIntegration((s as { Resource?: string }).Resource ?? '') && !name.startsWith('Rollback') && name !== 'ValidateInput' && name !== 'ValidateExecutionName' && name !== 'Preflight' && name !== 'FindLeftovers',
    );
    expect(forward.map(([name]) => name)).toEqual(['BuildNetworkAndRole', 'ApplyTags', 'Verify', 'Report']);
    for (const [name, state] of forward) {
      const all = (state.Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, next: all?.Next, resultPath: all?.ResultPath }).toEqual({ name, next: 'IsUpdateFailure', resultPath: '$.error' });
    }
    // A provisioning attempt rolls back: the choice's default is the rollback.
    expect((provision.States as Record<string, AnyState>).IsUpdateFailure.Default).toBe('BeginRollback');
  });

  it('runs Preflight after ValidateInput and before anything is made, only for a provisioning attempt; its failure rolls nothing back and is recorded as FAILED (decision 23)', () => {
    const states = provision.States as Record<string, Omit<AnyState, 'Catch'> & { Parameters?: Record<string, unknown>; ResultPath?: unknown; Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[] }>;
    expect(states.ValidateInput.Next).toBe('IsPreflightWanted');
    // An update makes nothing new: it goes straight to the build; an attempt goes through Preflight first.
    expect((states.IsPreflightWanted as { Choices?: { Next: string }[] }).Choices!.map((c) => c.Next)).toEqual(['BuildNetworkAndRole']);
    expect(JSON.stringify(states.IsPreflightWanted)).toContain('"StringEquals":"update"');
    expect(states.IsPreflightWanted.Default).toBe('Preflight');
    expect(states.Preflight.Next).toBe('BuildNetworkAndRole');
    expect(states.Preflight.ResultPath).toBeNull();
    expect(states.Preflight.Parameters).toEqual({ 'config.$': '$.config' });
    const all = states.Preflight.Catch!.find((c) => c.ErrorEquals.includes('States.ALL'))!;
    expect(all.ResultPath).toBe('$.error');
    const reached = [...reachableAvoiding(states as Record<string, AnyState>, all.Next, [])];
    const undo = reached.filter((n) => n.startsWith('Rollback') || /\$\{(Delete|Release)\w+FunctionArn\}/.test(states[n].Resource ?? '') || n === 'BeginRollback' || n === 'FindLeftovers');
    expect(undo).toEqual([]);
    expect(reached).toEqual(expect.arrayContaining(['RecordInputRejected', 'InputRejected']));
    // The registry write and the Fail read the provisioning ID and the error where the input-rejection path has them.
    expect(states[all.Next].Parameters).toEqual({ 'provisioningId.$': '$.config.provisioningId', 'executionName.$': '$$.Execution.Name', 'error.$': '$.error' });
  });

  it('never rolls back an update: from the update branch of each failure choice no undo step is reachable, and it ends in a Fail after an UPDATE_FAILED registry write', () => {
    const states = provision.States as Record<string, AnyState & { Parameters?: { ExpressionAttributeValues?: Record<string, { S?: string }> } }>;
    for (const [choice, write, publish, end] of [
      ['IsUpdateFailure', 'RecordUpdateFailed', 'PublishUpdateFailed', 'UpdateFailed'],
      ['IsUpdateRejected', 'RecordUpdateRejected', 'PublishUpdateRejected', 'UpdateRejected'],
    ]) {
      const branch = states[choice].Choices!.map((c) => c.Next);
      expect({ choice, branch }).toEqual({ choice, branch: [write] });
      const reached = [...reachableAvoiding(states, write, [])];
      const undo = reached.filter((n) => n.startsWith('Rollback') || /\$\{(Delete|Release)\w+FunctionArn\}/.test(states[n].Resource ?? '') || n === 'BeginRollback' || n === 'FindLeftovers');
      expect({ choice, undo }).toEqual({ choice, undo: [] });
      expect(reached.sort()).toEqual([write, publish, end].sort());
      expect(states[end].Type).toBe('Fail');
      expect(states[write].Parameters?.ExpressionAttributeValues?.[':outcome']).toEqual({ S: 'UPDATE_FAILED' });
    }
  });

  it('checks the execution name before registering anything when it becomes the provisioning ID (a console start without provisioningId), and ends the execution there if it is not one', () => {
    const states = provision.States as Record<string, AnyState & { Parameters?: Record<string, unknown> }>;
    expect(states.HasRequestProvisioningId.Default).toBe('ValidateExecutionName');
    expect(states.TakeRequestProvisioningId.Next).toBe('RegisterProvisioning');
    const check = states.ValidateExecutionName;
    expect({ resource: check.Resource, parameters: check.Parameters, next: check.Next, catches: check.Catch }).toEqual({
      resource: '${ValidateExecutionNameFunctionArn}',
      parameters: { 'executionName.$': '$$.Execution.Name' },
      next: 'RegisterProvisioning',
      catches: undefined,
    });
  });

  it('recognises an update by the execution name the API gives it (<id>--update-<n>), in every choice, as shared/constants.ts says', () => {
    const text = JSON.stringify(provision);
    const matches = [...text.matchAll(/"StringMatches":"([^"]*)"/g)].map((m) => m[1]);
    expect(matches.length).toBeGreaterThanOrEqual(2);
    for (const m of matches) expect(m).toBe(`*${UPDATE_EXECUTION_MARKER}*`);
    const states = provision.States as Record<string, AnyState & { Choices?: { Variable?: string; Next: string }[] }>;
    expect(states.IsUpdate.Choices!.map((c) => c.Next)).toEqual(['RecordUpdateStarted']);
    expect(states.IsUpdate.Default).toBe('RecordProvisioningStarted');
  });

  it('applies tags only when the registry holds a previous request (an update), never on a first provisioning', () => {
    const states = provision.States as Record<string, AnyState & { Choices?: { Variable?: string; IsPresent?: boolean; Next: string }[] }>;
    expect((states.BuildNetworkAndRole as AnyState).Next).toBe('IsTagUpdateWanted');
    expect(states.IsTagUpdateWanted.Choices).toEqual([{ Variable: '$.config.previousTags', IsPresent: true, Next: 'ApplyTags' }]);
    expect(states.IsTagUpdateWanted.Default).toBe('Verify');
    expect(states.ApplyTags.Next).toBe('Verify');
  });

  it('undoes in the same order in the rollback and in the teardown workflow', () => {
    const teardown = definitions.find((d) => d.file.endsWith('teardown.asl.json'))!.json;
    const undoOrder = (json: { States: Record<string, { Type: string; Resource?: string }> }) =>
      Object.values(json.States).filter((s) => s.Type === 'Task' && /\$\{Delete|\$\{Release/.test(s.Resource ?? '')).map((s) => s.Resource);
    expect(undoOrder(provision)).toEqual(undoOrder(teardown));
    expect(undoOrder(provision)).toEqual([
      '${DeleteCrossAccountRoleFunctionArn}', '${DeleteStorageRoleFunctionArn}', '${DeleteBucketFunctionArn}',
      '${DeleteEksRoleFunctionArn}', '${DeletePrivateDnsFunctionArn}', '${DeleteVpcEndpointFunctionArn}', '${DeleteS3GatewayEndpointFunctionArn}', '${DeleteRouteTablesFunctionArn}',
      '${DeleteNatGatewayFunctionArn}', '${ReleaseElasticIpFunctionArn}', '${DeleteInternetGatewayFunctionArn}', '${DeleteSecurityGroupFunctionArn}',
      '${DeleteSubnetsFunctionArn}', '${DeleteVpcFunctionArn}',
    ]);
  });

  it('lets every undo step fail without stopping the rest of the rollback (the leftover sweep reports it)', () => {
    for (const [name, state] of allStates(provision).filter(([n]) => n.startsWith('Rollback'))) {
      const next = (state as { Next?: string }).Next;
      const catchAll = ((state as { Catch?: { ErrorEquals: string[]; Next: string }[] }).Catch ?? []).find((c) => c.ErrorEquals.includes('States.ALL'));
      expect({ name, catchesToNext: catchAll?.Next === next }).toEqual({ name, catchesToNext: true });
    }
  });

  it('fails with error names shared/errors.ts documents', () => {
    for (const { json } of definitions) {
      for (const [, state] of allStates(json).filter(([, s]) => s.Type === 'Fail')) {
        const error = (state as { Error?: string }).Error;
        if (error) expect(WORKFLOW_ERROR_NAMES as readonly string[]).toContain(error);
      }
    }
  });
});

describe('serverless.yml', () => {
  const config = loadServerlessConfig();

  it('defines a function for every step the workflows call, and a handler file for every function', () => {
    for (const name of Object.keys(localFunctions)) expect(Object.keys(config.functions)).toContain(name);
    for (const fn of Object.values(config.functions)) {
      const file = fn.handler.replace(/\.handler$/, '.ts');
      expect(existsSync(join(root, file)) ? file : `missing ${file}`).toBe(file);
    }
  });

  it('substitutes every ASL placeholder with the ARN of the function of that name', () => {
    for (const [machine, { id, definition }] of Object.entries(config.stepFunctions.stateMachines)) {
      const file = /\$\{file\(\.\/(.+)\)\}/.exec(definition)![1];
      const placeholders = placeholdersOf(readFileSync(join(root, file), 'utf8'));
      const substitutions = config.resources.extensions[id].Properties.DefinitionSubstitutions as Record<string, unknown>;
      expect({ machine, keys: Object.keys(substitutions).sort() }).toEqual({ machine, keys: [...placeholders.map((p) => `${p}FunctionArn`), REGISTRY_TABLE_PLACEHOLDER].sort() });
      for (const p of placeholders) expect(substitutions[`${p}FunctionArn`]).toEqual({ 'Fn::GetAtt': `${p}LambdaFunction.Arn` });
      // The registry table: the ASL writes it with dynamodb:updateItem.
      expect(substitutions[REGISTRY_TABLE_PLACEHOLDER]).toEqual({ 'Fn::Ref': 'RegistryTable' });
    }
  });

  it('gives every function an explicit role (least privilege, no shared default role)', () => {
    for (const [name, fn] of Object.entries(config.functions)) {
      expect({ name, role: typeof fn.role === 'string' && fn.role in config.resources.Resources }).toEqual({ name, role: true });
    }
  });
});
