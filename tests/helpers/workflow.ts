import type { Context } from 'aws-lambda';
import { ec2Client, iamClient, route53Client, s3Client } from '../../shared/aws/clients';
import { defaultBucketName } from '../../shared/config';
import { findLeftovers } from '../../shared/leftovers';
import type { Leftovers } from '../../shared/state';
import { allStates, loadDefinition } from '../../local/engine';
import { localFunctions, type LocalHandler } from '../../local/functions';
import { localFunctionArn } from '../../local/lambda-runtime';
import { isServiceIntegration } from '../../local/service-integrations';
import { TEST_EXTERNAL_ID } from './config';

export const REGION = 'us-west-2';

/** moto's default account, where the tests' resources are made. */
export const ACCOUNT_ID = '123456789012';

/**
 * The names a test provisioning's roles and bucket get: unique per provisioning ID, so tests that run provisionings
 * side by side in one moto never share a role (the defaults derive from the project name, which tests share).
 */
export function namesOf(provisioningId: string) {
  return {
    eksRoleName: `zilliz-byoc-${provisioningId}-eks`,
    storageRoleName: `zilliz-byoc-${provisioningId}-storage`,
    crossAccountRoleName: `zilliz-byoc-${provisioningId}-xacct`,
    bucketName: defaultBucketName({ projectName: 'demo', accountId: ACCOUNT_ID, region: REGION, provisioningId }),
  };
}

/** A request with every option on (endpoint and private DNS), like examples/request.json. */
export function fullRequest(provisioningId: string, extra: Record<string, unknown> = {}) {
  const names = namesOf(provisioningId);
  return {
    provisioningId,
    projectName: 'demo',
    region: REGION,
    network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } },
    iamRole: { name: names.eksRoleName },
    storageRole: { name: names.storageRoleName },
    crossAccountRole: { externalId: TEST_EXTERNAL_ID, name: names.crossAccountRoleName },
    ...extra,
  };
}

/** The teardown input for a provisioning made from {@link fullRequest}. */
export function teardownRequest(provisioningId: string, extra: Record<string, unknown> = {}) {
  const { eksRoleName, storageRoleName, crossAccountRoleName, bucketName } = namesOf(provisioningId);
  return { provisioningId, region: REGION, iamRoleName: eksRoleName, storageRoleName, crossAccountRoleName, bucketName, ...extra };
}

/** Everything still tagged with the provisioning ID (and its roles and bucket, by name), read from AWS. */
export async function leftoversOf(provisioningId: string, names: Partial<ReturnType<typeof namesOf>> = namesOf(provisioningId)): Promise<Leftovers> {
  const target = { region: REGION };
  const config = {
    provisioningId,
    region: REGION,
    ...(names.eksRoleName ? { iamRole: { name: names.eksRoleName } } : {}),
    ...(names.storageRoleName ? { storageRole: { name: names.storageRoleName } } : {}),
    ...(names.crossAccountRoleName ? { crossAccountRole: { name: names.crossAccountRoleName } } : {}),
    ...(names.bucketName ? { bucket: { name: names.bucketName } } : {}),
  };
  return findLeftovers({ config }, { ec2: ec2Client(target), route53: route53Client(target), iam: iamClient(target), s3: s3Client(target) });
}

/** Steps only an update (or an attempt with a changed request) runs: a first provisioning skips them. */
export const UPDATE_ONLY_STEPS = ['ApplyTags'];

/**
 * The functions a first provisioning calls going forward (not undo steps, not the update-only ApplyTags), in the
 * order the ASL lists them.
 */
export function forwardSteps(): string[] {
  const names = allStates(loadDefinition('byoc-provision'))
    // Lambda Tasks only: the registry writes and reads (dynamodb SDK integrations) are no steps of ours.
    .filter(([, s]) => s.Type === 'Task' && s.Resource && !isServiceIntegration(s.Resource))
    .map(([, s]) => Object.keys(localFunctions).find((fn) => localFunctionArn(fn) === s.Resource)!)
    // ValidateInput, ValidateExecutionName (a console start's name check) and Preflight (reads only): before anything is made.
    .filter((fn) => !/^(Delete|Release|FindLeftovers|ValidateInput|ValidateExecutionName|Preflight)/.test(fn) && !UPDATE_ONLY_STEPS.includes(fn));
  return [...new Set(names)];
}

/** A named error as a step would throw it. */
export function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** The real step, then a crash: AWS acted, the step fails for good (the worst case for a rollback). */
export function actThenFail(fn: string, errorName = 'AwsOperationError'): LocalHandler {
  return async (event: never, context: Context) => {
    await localFunctions[fn](event, context);
    throw namedError(errorName, `${fn}: injected failure after the step acted`);
  };
}

/** The real step, but its first answer is lost: AWS acted, the caller got a retryable error, the retry runs it again. */
export function loseFirstAnswer(fn: string): LocalHandler {
  let calls = 0;
  return async (event: never, context: Context) => {
    const result = await localFunctions[fn](event, context);
    if (++calls === 1) throw namedError('RetryableAwsError', `${fn}: injected lost response (the step had acted)`);
    return result;
  };
}

/** Names of the states the execution entered, in order. */
export function statesEntered(history: { type?: string; stateEnteredEventDetails?: { name?: string } }[]): string[] {
  return history.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
}
