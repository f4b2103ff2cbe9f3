import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV } from '../shared/constants';
import { REGISTRY_TABLE_SCHEMA } from '../shared/registry/table';

/** The registry table's name on the local stack, unless `REGISTRY_TABLE_NAME` names another. */
export const LOCAL_REGISTRY_TABLE = 'byoc-registry-local';

/** The registry table the local stack uses: `REGISTRY_TABLE_NAME`, else {@link LOCAL_REGISTRY_TABLE}. */
export const localRegistryTable = (): string => process.env[ENV.registryTable] || LOCAL_REGISTRY_TABLE;

/**
 * Make the registry table unless it exists: on AWS CloudFormation makes it (serverless.yml `RegistryTable`); locally
 * moto starts empty and tests reset it, so the local stack makes it from the same schema when it is missing.
 *
 * @example await ensureRegistryTable(dynamodbClient('us-east-1'), localRegistryTable());
 */
export async function ensureRegistryTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await dynamodb.send(new CreateTableCommand({ TableName: tableName, ...structuredClone(REGISTRY_TABLE_SCHEMA) } as CreateTableCommandInput));
  } catch (error) {
    // Another caller made it between our look and our create.
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
}
