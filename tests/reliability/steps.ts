import { registerClientCustomizer } from '../../shared/aws/clients';
import { allStates, loadDefinition } from '../../local/engine';
import { localFunctions, type LocalHandler } from '../../local/functions';
import { localFunctionArn } from '../../local/lambda-runtime';
import { isServiceIntegration } from '../../local/service-integrations';
import { namedError } from '../helpers/workflow';

/**
 * Step lists read from the ASL and local/functions.ts (as tests/helpers/workflow.ts `forwardSteps` does), never
 * written out: a step added to a workflow is in every matrix by itself.
 */

/** Every function the teardown workflow calls, in the order the ASL lists them. */
export function teardownSteps(): string[] {
  const names = allStates(loadDefinition('byoc-teardown'))
    .filter(([, s]) => s.Type === 'Task' && s.Resource && !isServiceIntegration(s.Resource))
    .map(([, s]) => Object.keys(localFunctions).find((fn) => localFunctionArn(fn) === s.Resource)!);
  return [...new Set(names)];
}

/** A step that fails for good without acting (a permission it lacks): the error AWS's refusal becomes. */
export function failForGood(fn: string): LocalHandler {
  return async () => {
    throw namedError('AccessDeniedError', `${fn}: injected permanent failure (not allowed)`);
  };
}

/** AWS operations that make or change something, and those that remove something. */
export const isCreateCall = (operation: string): boolean => /^(Create|Allocate|Associate|Attach|Authorize|Put|Modify|Change|Tag|Enable|Update)/.test(operation);
export const isDeleteCall = (operation: string): boolean => /^(Delete|Release|Detach|Disassociate|Revoke|Remove|Untag|Disable)/.test(operation);

/**
 * Record the AWS operations the steps call while `run` runs (every client shared/aws/clients.ts builds), e.g. to
 * learn from a clean provisioning which create and delete calls a fault matrix must cover.
 */
export async function recordOperations<T>(run: () => Promise<T>): Promise<{ result: T; operations: string[] }> {
  const operations = new Set<string>();
  const unregister = registerClientCustomizer((client, service) => {
    // The services the realism layer acts on (the registry's DynamoDB is the state machine's, not a step's).
    if (!['ec2', 'iam', 'route53', 's3'].includes(service)) return;
    (client as unknown as { middlewareStack: { add(m: unknown, o: unknown): void } }).middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
        operations.add((context.commandName ?? '').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'byocReliabilityRecorder' },
    );
  });
  try {
    return { result: await run(), operations: [...operations].filter(Boolean).sort() };
  } finally {
    unregister();
  }
}

/** A fault spec that loses the first answer of each of these operations (once per call site). */
export const loseEach = (operations: string[]): string => operations.map((op) => `${op}:lose-response`).join(',');
