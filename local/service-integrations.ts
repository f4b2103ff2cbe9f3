import { GetItemCommand, UpdateItemCommand, type GetItemCommandInput, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { dynamodbClient } from '../shared/aws/clients';
import { ensureRegistryTable } from './registry';

/**
 * Step Functions' own SDK service integrations, run by the local engine: a Task whose Resource is
 * `arn:aws:states:::<service>:<action>` is a call Step Functions makes itself, not a Lambda. Only what the product's
 * state machines use is here: `dynamodb:updateItem`, which writes the registry, and `dynamodb:getItem`, which reads
 * the one attribute an update needs from it (the previous request).
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
export const LOCAL_INTEGRATIONS = ['dynamodb:updateItem', 'dynamodb:getItem'] as const;

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

/**
 * The local handler for a service-integration Task: it gets the state's effective Parameters (DynamoDB's own API
 * shape for `dynamodb:updateItem`), sends that call to the configured endpoint (moto's DynamoDB locally), and
 * answers with the service's response, or fails with the error Step Functions would name.
 *
 * The local registry table is made on first use: moto starts empty, and tests reset it.
 */
export function serviceIntegrationHandler(stateName: string, resource: string, region: string): (parameters: unknown) => Promise<unknown> {
  const { resourceType, resource: action } = integrationOf(resource);
  if (!(LOCAL_INTEGRATIONS as readonly string[]).includes(`${resourceType}:${action}`)) {
    throw new Error(`State ${stateName} calls ${resource}: the local engine runs only ${LOCAL_INTEGRATIONS.map((i) => PREFIX + i).join(', ')} among the service integrations`);
  }
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
