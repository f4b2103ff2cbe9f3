import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** The registry's index by status, newest change first (GET /provisionings?status=...). */
export const REGISTRY_STATUS_INDEX = 'byStatus';

/**
 * The registry table's keys and index, as serverless.yml declares `RegistryTable` (a unit test keeps the two equal).
 * The local stack creates the table from this on moto; on AWS, CloudFormation does.
 */
export const REGISTRY_TABLE_SCHEMA = {
  AttributeDefinitions: [
    { AttributeName: 'provisioningId', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
    { AttributeName: 'updatedAt', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'provisioningId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: REGISTRY_STATUS_INDEX,
      KeySchema: [
        { AttributeName: 'status', KeyType: 'HASH' },
        { AttributeName: 'updatedAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;
