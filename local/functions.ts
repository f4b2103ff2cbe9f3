import type { Context } from 'aws-lambda';
import { handler as ValidateInput } from '../functions/steps/validate-input';
import { handler as ValidateTeardownInput } from '../functions/steps/validate-teardown-input';
import { handler as CreateVpc } from '../functions/steps/create-vpc';
import { handler as DeleteVpc } from '../functions/steps/delete-vpc';
import { handler as Report } from '../functions/steps/report';

/** A Lambda handler as the local runtime calls it. */
export type LocalHandler = (event: never, context: Context) => Promise<unknown>;

/**
 * The step functions the state machines call, by their serverless.yml name. The ASL refers to each as
 * `${<Name>FunctionArn}`; a unit test checks that this table, serverless.yml and the ASL files agree.
 */
export const localFunctions: Record<string, LocalHandler> = {
  ValidateInput,
  ValidateTeardownInput,
  CreateVpc,
  DeleteVpc,
  Report,
} as Record<string, LocalHandler>;
