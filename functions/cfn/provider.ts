import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { fallbackPhysicalId, handleCustomResource, type CustomResourceEvent } from '../../shared/cfn/custom-resource';
import { sendCfnResponse, type CfnResponse } from '../../shared/cfn/response';
import { provisioningService } from '../../shared/cfn/service';
import { LOG_CONTEXT, logger } from '../../shared/lambda';
import { iamClient } from '../../shared/aws/clients';
import { serviceDeps } from '../api/http';

let lambda: LambdaClient | undefined;

const seconds = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return (Number.isFinite(value) && value >= 0 ? value : fallback) * 1000;
};

/**
 * CloudFormation custom resource `Custom::ByocProvisioning`: Create provisions, Update sets the OIDC issuer in place
 * or replaces, Delete tears down. Whatever happens, CloudFormation gets exactly one answer, so no stack ever hangs:
 * the only way out without answering is handing the wait over to a fresh invocation, which then answers. The only
 * error that escapes is an answer that could not be sent at all: Lambda then retries the event, and everything
 * before the answer is idempotent.
 *
 * Tuning (environment, seconds): `BYOC_CFN_POLL_SECONDS` (15), `BYOC_CFN_HANDOFF_MARGIN_SECONDS` (30),
 * `BYOC_CFN_CREATE_GRACE_SECONDS` (120), `BYOC_CFN_RESPONSE_RETRY_SECONDS` (0.5, the jittered backoff's base), and
 * `BYOC_CFN_MAX_POLL_FAILURES` (8 failed looks at an execution in a row, each after the SDK's own retries). The
 * tests shorten them; the defaults are what the deployed function uses.
 */
export const handler = middy<CustomResourceEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, LOG_CONTEXT))
  .handler(async (event, context) => {
    logger.appendKeys({
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
      waiting: event.byocWait && 'phase' in event.byocWait ? event.byocWait.phase : undefined,
    });
    let sent = false;
    const respond = async (answer: CfnResponse) => {
      sent = true; // set first: a send that fails is not followed by a second, different answer
      await sendCfnResponse(event, answer, { baseDelayMs: seconds('BYOC_CFN_RESPONSE_RETRY_SECONDS', 0.5) });
    };
    const logHint = `Details in CloudWatch log group ${context.logGroupName}, stream ${context.logStreamName}`;
    try {
      const deps = serviceDeps();
      await handleCustomResource(event, {
        service: provisioningService({ ...deps, iam: iamClient }),
        respond,
        remainingMs: () => context.getRemainingTimeInMillis(),
        reinvoke: async (next) => {
          lambda ??= new LambdaClient({});
          await lambda.send(new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(next)) }));
        },
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        pollMs: seconds('BYOC_CFN_POLL_SECONDS', 15),
        handOffMarginMs: seconds('BYOC_CFN_HANDOFF_MARGIN_SECONDS', 30),
        maxPollFailures: Number(process.env.BYOC_CFN_MAX_POLL_FAILURES ?? 8),
        createGraceMs: seconds('BYOC_CFN_CREATE_GRACE_SECONDS', 120),
        cleanupWindowMs: 2 * 60 * 60_000,
        logHint,
      });
    } catch (error) {
      if (sent) throw error; // the answer could not be sent: let Lambda retry the event
      if (event.byocWait && 'answered' in event.byocWait && event.byocWait.answered) {
        logger.error('could not go on cleaning up (CloudFormation has its answer already)', { error: error as Error });
        return;
      }
      // Could not even start (configuration): answer anyway. Nothing was started, so a Create gets the marker.
      logger.error('custom resource failed before it could decide', { error: error as Error });
      await respond({ Status: 'FAILED', PhysicalResourceId: fallbackPhysicalId(event), Reason: `${(error as Error).name}: ${(error as Error).message}. ${logHint}` });
    }
  });
