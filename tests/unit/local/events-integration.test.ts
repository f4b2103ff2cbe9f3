import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { serviceIntegrationHandler } from '../../../local/service-integrations';
import { onCompletionEvent, readCompletionEvents } from '../../../local/events';

const eventbridge = mockClient(EventBridgeClient);
const RESOURCE = 'arn:aws:states:::events:putEvents';
const context = {
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:byoc-provision:p-1',
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:byoc-provision',
};
const detail = { provisioningId: 'p-1', status: 'SUCCEEDED', kind: 'provision', executionArn: context.executionArn, executionName: 'p-1', region: 'us-west-2', account: '111122223333', outputs: { vpcId: 'vpc-1' } };
const parameters = { Entries: [{ EventBusName: 'default', Source: 'byoc.provisioner', DetailType: 'Provisioning Succeeded', Detail: detail }] };

afterEach(() => eventbridge.reset());

describe("the local engine's events:putEvents (the completion events), as Step Functions' optimized integration runs it", () => {
  it('sends Detail as JSON text with the execution and state machine ARNs added to Resources, records the envelope and tells subscribers', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
    const stateDir = mkdtempSync(join(tmpdir(), 'byoc-events-unit-'));
    const heard: unknown[] = [];
    const unsubscribe = onCompletionEvent((e) => heard.push(e));
    try {
      const out = await serviceIntegrationHandler('PublishProvisioningSucceeded', RESOURCE, 'us-east-1', { ...context, stateDir })(parameters);
      expect(out).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
    } finally {
      unsubscribe();
    }
    expect(eventbridge.commandCalls(PutEventsCommand)[0].args[0].input).toEqual({
      Entries: [{ EventBusName: 'default', Source: 'byoc.provisioner', DetailType: 'Provisioning Succeeded', Detail: JSON.stringify(detail), Resources: [context.executionArn, context.stateMachineArn] }],
    });
    const recorded = readCompletionEvents(stateDir, 'p-1');
    expect(recorded).toEqual([
      {
        version: '0',
        id: 'evt-1',
        'detail-type': 'Provisioning Succeeded',
        source: 'byoc.provisioner',
        account: '123456789012',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        region: 'us-east-1',
        resources: [context.executionArn, context.stateMachineArn],
        detail,
      },
    ]);
    expect(heard).toEqual(recorded);
    expect(readCompletionEvents(stateDir, 'another')).toEqual([]);
  });

  it('fails with EventBridge.FailedEntry when EventBridge refuses the entry, and records nothing', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });
    const stateDir = mkdtempSync(join(tmpdir(), 'byoc-events-unit-'));
    await expect(serviceIntegrationHandler('P', RESOURCE, 'us-east-1', { ...context, stateDir })(parameters)).rejects.toMatchObject({
      name: 'EventBridge.FailedEntry',
      message: expect.stringContaining('ThrottlingException Rate exceeded'),
    });
    expect(readCompletionEvents(stateDir)).toEqual([]);
  });

  it('names a failed call as Step Functions does: EventBridge.<modeled error>, else EventBridge.AmazonEventBridgeException', async () => {
    eventbridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('internal'), { name: 'InternalException', $metadata: { httpStatusCode: 500 } }))
      .rejectsOnce(Object.assign(new Error('no such bus'), { name: 'ResourceNotFoundException' }));
    await expect(serviceIntegrationHandler('P', RESOURCE, 'us-east-1', context)(parameters)).rejects.toMatchObject({ name: 'EventBridge.InternalException' });
    await expect(serviceIntegrationHandler('P', RESOURCE, 'us-east-1', context)(parameters)).rejects.toMatchObject({
      name: 'EventBridge.AmazonEventBridgeException',
      message: expect.stringContaining('Error Code: ResourceNotFoundException'),
    });
  });
});
