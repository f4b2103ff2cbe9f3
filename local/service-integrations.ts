import { GetItemCommand, UpdateItemCommand, type GetItemCommandInput, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { dynamodbClient } from '../shared/aws/clients';
import { eventTime, recordCompletionEvent, type CompletionEvent } from './events';
import { LOCAL_ACCOUNT } from './executions';
import { ensureRegistryTable } from './registry';

/**
 * Step Functions' own SDK service integrations, run by the local engine: a Task whose Resource is
 * `arn:aws:states:::<service>:<action>` is a call Step Functions makes itself, not a Lambda. Only what the product's
 * state machines use is here: `dynamodb:updateItem`, which writes the registry, `dynamodb:getItem`, which reads
 * the one attribute an update needs from it (the previous request), and `events:putEvents`, which publishes the
 * completion events (docs/events.md).
 */

const PREFIX = 'arn:aws:states:::';

/** True for `arn:aws:states:::service:action` Resources (also with the partition of another region). */
export const isServiceIntegration = (resource: string): boolean => /^arn:aws[\w-]*:states:::/.test(resource);

/** `arn:aws:states:::dynamodb:updateItem` -> `{ resourceType: 'dynamodb', resource: 'updateItem' }`, as AWS's history names them. */
export function integrationOf(resource: string): { resourceType: string; resource: string } {
  const [resourceType, action] = resource.replace(/^arn:aws[\w-]*:states:::/, '').split(':');
  return { resourceType, resource: action };
}

/** The integrations the local engine runs, by `service:action`. */
export const LOCAL_INTEGRATIONS = ['dynamodb:updateItem', 'dynamodb:getItem', 'events:putEvents'] as const;

/** UpdateItem's (and GetItem's) modeled errors keep their names (`DynamoDB.ConditionalCheckFailedException`); any other is AmazonDynamoDBException. */
const MODELED = new Set([
  'ConditionalCheckFailedException',
  'InternalServerError',
  'ItemCollectionSizeLimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ResourceNotFoundException',
  'TransactionConflictException',
  'ThrottlingException',
]);

/** A failed integration call as Step Functions reports it: `DynamoDB.<ErrorCode>` and a cause in AWS's wording. */
export class IntegrationError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

function dynamoDbError(error: unknown): IntegrationError {
  const e = error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  const code = MODELED.has(e.name) ? e.name : 'AmazonDynamoDBException';
  return new IntegrationError(
    `DynamoDB.${code}`,
    `${e.message} (Service: AmazonDynamoDBv2; Status Code: ${e.$metadata?.httpStatusCode ?? 500}; Error Code: ${e.name}; Request ID: ${e.$metadata?.requestId ?? 'local'}; Proxy: null)`,
  );
}

/** PutEvents' modeled errors keep their names (`EventBridge.InternalException`); any other is AmazonEventBridgeException. */
const EVENTBRIDGE_MODELED = new Set(['InternalException']);

function eventBridgeError(error: unknown): IntegrationError {
  const e = error as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  const code = EVENTBRIDGE_MODELED.has(e.name) ? e.name : 'AmazonEventBridgeException';
  return new IntegrationError(
    `EventBridge.${code}`,
    `${e.message} (Service: EventBridge; Status Code: ${e.$metadata?.httpStatusCode ?? 500}; Error Code: ${e.name}; Request ID: ${e.$metadata?.requestId ?? 'local'}; Proxy: null)`,
  );
}

/** Where a service-integration Task runs: its execution (the putEvents integration names it) and the state folder. */
export interface IntegrationContext {
  executionArn: string;
  stateMachineArn: string;
  /** The local stack's state folder: the putEvents integration records each event there (local/events.ts). */
  stateDir?: string;
}

type PutEventsParameters = { Entries?: (Omit<PutEventsRequestEntry, 'Detail'> & { Detail?: unknown })[] };

/**
 * `events:putEvents` as Step Functions' optimized integration runs it: `Detail` may be a JSON object (it is sent as
 * text), the execution's and the state machine's ARNs are appended to each entry's `Resources`, and an answer with a
 * non-zero `FailedEntryCount` fails the Task with `EventBridge.FailedEntry`. Each accepted entry is recorded in the
 * state folder as the envelope a rule's target would receive.
 */
async function putEvents(parameters: unknown, region: string, context?: IntegrationContext): Promise<unknown> {
  const entries = ((parameters ?? {}) as PutEventsParameters).Entries ?? [];
  const extra = context ? [context.executionArn, context.stateMachineArn] : [];
  const sent = entries.map((entry) => ({
    ...entry,
    Detail: typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail ?? {}),
    Resources: [...(entry.Resources ?? []), ...extra],
  }));
  // The endpoint (AWS_ENDPOINT_URL) is read when a client is built, and the local stack changes it: one client a call.
  const client = new EventBridgeClient({ region, maxAttempts: 3 });
  let out;
  try {
    out = await client.send(new PutEventsCommand({ Entries: sent }));
  } catch (error) {
    throw eventBridgeError(error);
  } finally {
    client.destroy();
  }
  const results = out.Entries ?? [];
  if ((out.FailedEntryCount ?? 0) > 0) {
    const failed = results.find((r) => r.ErrorCode);
    throw new IntegrationError('EventBridge.FailedEntry', `${out.FailedEntryCount} of ${sent.length} entries failed: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
  }
  if (context?.stateDir) {
    sent.forEach((entry, i) => {
      const event = {
        version: '0',
        id: results[i]?.EventId ?? `local-${Date.now()}-${i}`,
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: LOCAL_ACCOUNT,
        time: eventTime(),
        region,
        resources: entry.Resources,
        detail: JSON.parse(entry.Detail),
      } as CompletionEvent;
      recordCompletionEvent(context.stateDir!, event);
    });
  }
  const { $metadata: _metadata, ...response } = out;
  return JSON.parse(JSON.stringify(response));
}

/**
 * The local handler for a service-integration Task: it gets the state's effective Parameters (DynamoDB's own API
 * shape for `dynamodb:updateItem`, EventBridge's for `events:putEvents`), sends that call to the configured endpoint
 * (moto's locally), and answers with the service's response, or fails with the error Step Functions would name.
 *
 * The local registry table is made on first use: moto starts empty, and tests reset it.
 */
export function serviceIntegrationHandler(stateName: string, resource: string, region: string, context?: IntegrationContext): (parameters: unknown) => Promise<unknown> {
  const { resourceType, resource: action } = integrationOf(resource);
  if (!(LOCAL_INTEGRATIONS as readonly string[]).includes(`${resourceType}:${action}`)) {
    throw new Error(`State ${stateName} calls ${resource}: the local engine runs only ${LOCAL_INTEGRATIONS.map((i) => PREFIX + i).join(', ')} among the service integrations`);
  }
  if (resourceType === 'events') return (parameters) => putEvents(parameters, region, context);
  return async (parameters) => {
    const input = JSON.parse(JSON.stringify(parameters ?? {})) as UpdateItemCommandInput & GetItemCommandInput;
    const dynamodb = dynamodbClient(region);
    const send = () => (action === 'getItem' ? dynamodb.send(new GetItemCommand(input)) : dynamodb.send(new UpdateItemCommand(input)));
    let out;
    try {
      out = await send().catch(async (error: Error) => {
        if (error.name !== 'ResourceNotFoundException' || !input.TableName) throw error;
        await ensureRegistryTable(dynamodb, input.TableName);
        return send();
      });
    } catch (error) {
      throw dynamoDbError(error);
    }
    const { $metadata: _metadata, ...response } = out;
    return JSON.parse(JSON.stringify(response));
  };
}
