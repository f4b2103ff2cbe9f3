import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { InvalidInputError } from '../errors';
import { itemFromRecord, recordFromItem, REGISTRY_STATUSES, type RegistryRecord, type RegistryStatus } from './record';
import { REGISTRY_STATUS_INDEX } from './table';

/** Where the registry is: a DynamoDB client (our own account) and the table's name. */
export interface RegistryDeps {
  dynamodb: DynamoDBClient;
  tableName: string;
}

/**
 * A conditional write lost: someone else wrote the record after it was read (another API call, a state machine).
 * Read it again and decide again.
 */
export class StaleRecordError extends Error {
  constructor(provisioningId: string, expectedVersion: number | 'none', options?: { cause?: unknown }) {
    super(
      expectedVersion === 'none'
        ? `provisioning ${provisioningId} was registered by someone else meanwhile`
        : `provisioning ${provisioningId} changed after version ${expectedVersion} was read`,
      options,
    );
    this.name = 'StaleRecordError';
  }
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * The record of a provisioning (a strongly consistent read), or undefined when the registry has none.
 * @example const record = await getRecord('p-1', { dynamodb: dynamodbClient('us-west-2'), tableName: 'byoc-registry-prod' });
 */
export async function getRecord(provisioningId: string, deps: RegistryDeps): Promise<RegistryRecord | undefined> {
  const out = await deps.dynamodb.send(new GetItemCommand({ TableName: deps.tableName, Key: { provisioningId: { S: provisioningId } }, ConsistentRead: true }));
  return out.Item ? recordFromItem(out.Item) : undefined;
}

/**
 * Register a new provisioning. Its version must be 1.
 * @throws StaleRecordError when a record of that ID exists already (another caller was first).
 */
export async function createRecord(record: RegistryRecord, deps: RegistryDeps): Promise<RegistryRecord> {
  const created = { ...record, version: 1 };
  try {
    await deps.dynamodb.send(
      new PutItemCommand({ TableName: deps.tableName, Item: itemFromRecord(created), ConditionExpression: 'attribute_not_exists(provisioningId)' }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new StaleRecordError(record.provisioningId, 'none', { cause: error });
    throw error;
  }
  return created;
}

/**
 * Write a changed record, only if nobody wrote it since `expectedVersion` was read (optimistic locking: every
 * writer, the state machines included, adds one to the version). Returns the record as written (version + 1).
 *
 * @throws StaleRecordError when the stored version is not `expectedVersion`.
 * @example const saved = await saveRecord({ ...record, status: 'TEARING_DOWN' }, record.version, deps);
 */
export async function saveRecord(record: RegistryRecord, expectedVersion: number, deps: RegistryDeps): Promise<RegistryRecord> {
  const saved = { ...record, version: expectedVersion + 1 };
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.tableName,
        Item: itemFromRecord(saved),
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new StaleRecordError(record.provisioningId, expectedVersion, { cause: error });
    throw error;
  }
  return saved;
}

/** One page of the registry. */
export interface RecordPage {
  records: RegistryRecord[];
  /** Pass back as `nextToken` for the next page; absent on the last one. */
  nextToken?: string;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

/** Opaque page tokens, bound to the query they came from (a token of another status filter is refused). */
function encodeToken(key: Record<string, AttributeValue>, status: string | undefined): string {
  return Buffer.from(JSON.stringify({ s: status ?? null, k: key })).toString('base64url');
}

function decodeToken(token: string, status: string | undefined): Record<string, AttributeValue> {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: string | null; k?: Record<string, AttributeValue> };
    if ((parsed.s ?? undefined) !== status || !parsed.k || typeof parsed.k !== 'object') throw new Error('mismatch');
    // Exactly the key a page of this listing ends on (the table's key; on the index also its key, of this status):
    // a forged key would otherwise reach DynamoDB, which refuses it with an error the caller cannot act on.
    const names = status ? ['provisioningId', 'status', 'updatedAt'] : ['provisioningId'];
    const key = parsed.k as Record<string, unknown>;
    const isText = (v: unknown) => !!v && typeof v === 'object' && Object.keys(v).length === 1 && typeof (v as { S?: unknown }).S === 'string' && (v as { S: string }).S !== '';
    if (Object.keys(key).length !== names.length || !names.every((n) => isText(key[n])) || (status && (key.status as { S: string }).S !== status)) throw new Error('not our key');
    return parsed.k;
  } catch {
    throw new InvalidInputError([{ field: 'nextToken', rule: 'is not a token this listing returned (a token only continues the listing, and the status filter, it came from)' }]);
  }
}

/**
 * A page of provisionings. With `status`, newest change first (the `status` + `updatedAt` index); without, the
 * whole registry in the table's own order (a scan, a page at a time).
 *
 * @throws InvalidInputError for an unknown status, a limit outside 1-100, or a foreign `nextToken`.
 * @example const { records, nextToken } = await listRecords({ status: 'SUCCEEDED', limit: 50 }, deps);
 */
export async function listRecords(query: { status?: string; limit?: number; nextToken?: string }, deps: RegistryDeps): Promise<RecordPage> {
  const problems = [];
  if (query.status !== undefined && !(REGISTRY_STATUSES as readonly string[]).includes(query.status)) {
    problems.push({ field: 'status', rule: `must be one of ${REGISTRY_STATUSES.join(', ')}` });
  }
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) problems.push({ field: 'limit', rule: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
  if (problems.length > 0) throw new InvalidInputError(problems);
  const status = query.status as RegistryStatus | undefined;
  const ExclusiveStartKey = query.nextToken ? decodeToken(query.nextToken, status) : undefined;
  const out = status
    ? await deps.dynamodb.send(
        new QueryCommand({
          TableName: deps.tableName,
          IndexName: REGISTRY_STATUS_INDEX,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': { S: status } },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey,
        }),
      )
    : await deps.dynamodb.send(new ScanCommand({ TableName: deps.tableName, Limit: limit, ExclusiveStartKey }));
  return {
    records: (out.Items ?? []).map(recordFromItem),
    ...(out.LastEvaluatedKey ? { nextToken: encodeToken(out.LastEvaluatedKey, status) } : {}),
  };
}
