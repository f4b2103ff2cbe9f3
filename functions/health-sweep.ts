import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { dynamodbClient, ec2Client, iamClient, route53Client, s3Client, stsClient } from '../shared/aws/clients';
import { ENV } from '../shared/constants';
import { sweepHealth, type SweepResult } from '../shared/health/sweep';
import { LOG_CONTEXT, logger } from '../shared/lambda';

/**
 * The health sweep, invoked by the EventBridge Scheduler schedule `healthCheckRate` (off unless that deploy parameter
 * is set): checks every live provisioning, records each verdict in the registry and publishes an event on the
 * default bus when one changed. Returns (and logs) what it did.
 */
export const handler = middy<unknown, SweepResult, Error, Context>()
  .use(injectLambdaContext(logger, LOG_CONTEXT))
  .handler(async (_event, context) => {
    const tableName = process.env[ENV.registryTable];
    const region = process.env.AWS_REGION;
    if (!tableName || !region) throw new Error(`${ENV.registryTable} and AWS_REGION must be set`);
    const result = await sweepHealth({
      registry: { dynamodb: dynamodbClient(region), tableName },
      clients: { ec2: ec2Client, route53: route53Client, iam: iamClient, s3: s3Client, sts: stsClient },
      events: new EventBridgeClient({ region, maxAttempts: 3, retryMode: 'standard' }),
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
    logger.info('health sweep done', { ...result });
    return result;
  });
