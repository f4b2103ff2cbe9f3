import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { CREATE_FAILED_MARKER, handleCustomResource, type CustomResourceEvent } from '../../shared/cfn/custom-resource';
import { sendCfnResponse } from '../../shared/cfn/response';
import { logger } from '../../shared/lambda';
import { iamClient } from '../../shared/aws/clients';
import { updateProvisioningOidc } from '../../shared/api/oidc';
import { serviceDeps } from '../api/http';

let lambda: LambdaClient | undefined;

/**
 * CloudFormation custom resource `Custom::ByocProvisioning`: Create provisions, Update replaces (or keeps),
 * Delete tears down. Whatever happens, CloudFormation gets exactly one answer, so no stack ever hangs: the only
 * way out without answering is handing the wait over to a fresh invocation, which then answers.
 */
export const handler = middy<CustomResourceEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    logger.appendKeys({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined });
    let answer;
    try {
      const deps = serviceDeps();
      answer = await handleCustomResource(event, {
        ...deps,
        updateOidc: async (provisioningId, oidcIssuerUrl) => {
          await updateProvisioningOidc(provisioningId, { oidcIssuerUrl }, { ...deps, iam: iamClient });
        },
        remainingMs: () => context.getRemainingTimeInMillis(),
        reinvoke: async (next) => {
          lambda ??= new LambdaClient({});
          await lambda.send(new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(next)) }));
        },
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        pollMs: Number(process.env.BYOC_CFN_POLL_SECONDS ?? 15) * 1000,
        maxWaitMs: 55 * 60_000,
      });
    } catch (error) {
      logger.error('custom resource failed', { error: error as Error });
      answer = {
        Status: 'FAILED' as const,
        // A Create that failed before anything started gets the marker, so the rollback Delete is a no-op.
        PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : CREATE_FAILED_MARKER,
        Reason: `${(error as Error).name}: ${(error as Error).message}. Details in CloudWatch log group ${context.logGroupName}, stream ${context.logStreamName}`,
      };
    }
    if (answer === 'handed-over') {
      logger.info('still running; handed the wait to a fresh invocation');
      return;
    }
    await sendCfnResponse(event, answer);
  });
