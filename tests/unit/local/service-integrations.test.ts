import { ConditionalCheckFailedException, DynamoDBClient, ResourceNotFoundException, UpdateItemCommand, CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { clearClientCache } from '../../../shared/aws/clients';
import { integrationOf, isServiceIntegration, serviceIntegrationHandler } from '../../../local/service-integrations';

const dynamodb = mockClient(DynamoDBClient);
const RESOURCE = 'arn:aws:states:::dynamodb:updateItem';
const params = { TableName: 'byoc-registry-local', Key: { provisioningId: { S: 'p-1' } }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'SUCCEEDED' } } };

beforeEach(() => clearClientCache());
afterEach(() => dynamodb.reset());

describe('the local engine\'s SDK service integration (dynamodb:updateItem, the registry writes)', () => {
  it('recognises service-integration Resources and names them as AWS\'s history does', () => {
    expect(isServiceIntegration(RESOURCE)).toBe(true);
    expect(isServiceIntegration('arn:aws:lambda:us-east-1:123456789012:function:x')).toBe(false);
    expect(integrationOf(RESOURCE)).toEqual({ resourceType: 'dynamodb', resource: 'updateItem' });
    expect(() => serviceIntegrationHandler('S', 'arn:aws:states:::sqs:sendMessage', 'us-east-1')).toThrow(/only arn:aws:states:::dynamodb:updateItem/);
  });

  it('sends the Parameters as they are (DynamoDB\'s API shape) and answers with the response, without SDK metadata', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { status: { S: 'SUCCEEDED' } }, $metadata: { httpStatusCode: 200 } });
    const out = await serviceIntegrationHandler('RecordX', RESOURCE, 'us-east-1')(params);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0].args[0].input).toEqual(params);
    expect(out).toEqual({ Attributes: { status: { S: 'SUCCEEDED' } } });
  });

  it('fails with the error Step Functions names: DynamoDB.<modeled error>, else DynamoDB.AmazonDynamoDBException', async () => {
    dynamodb.on(UpdateItemCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));
    await expect(serviceIntegrationHandler('RecordX', RESOURCE, 'us-east-1')(params)).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException', message: expect.stringContaining('Error Code: ConditionalCheckFailedException') });
    const validation = Object.assign(new Error('Invalid UpdateExpression'), { name: 'ValidationException' });
    dynamodb.on(UpdateItemCommand).rejectsOnce(validation);
    await expect(serviceIntegrationHandler('RecordX', RESOURCE, 'us-east-1')(params)).rejects.toMatchObject({ name: 'DynamoDB.AmazonDynamoDBException' });
  });

  it('makes the local registry table on first use (moto starts empty, tests reset it), then writes', async () => {
    dynamodb.on(UpdateItemCommand).rejectsOnce(new ResourceNotFoundException({ message: 'no table', $metadata: {} })).resolves({});
    dynamodb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    dynamodb.on(CreateTableCommand).resolves({});
    await serviceIntegrationHandler('RecordX', RESOURCE, 'us-east-1')(params);
    expect(dynamodb.commandCalls(CreateTableCommand)[0].args[0].input).toMatchObject({ TableName: 'byoc-registry-local', KeySchema: [{ AttributeName: 'provisioningId', KeyType: 'HASH' }] });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(2);
  });
});
