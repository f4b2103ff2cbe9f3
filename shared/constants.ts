/**
 * Names that both the code and the infrastructure (serverless.yml, the ASL files) use.
 * A unit test (tests/unit/statemachine.test.ts) checks that the ASL and serverless.yml agree with them:
 * the coupling is enforced by a test, not by hope.
 */

/** Tag every resource we create carries; the value is the provisioning ID. Teardown and rollback find resources by it. */
export const TAG_PROVISIONING_ID = 'byoc:provisioning-id';
/** Which kind of resource of the provisioning this is (`vpc`, `public-subnet`, ...): lets find-by-tag pick the right one. */
export const TAG_RESOURCE = 'byoc:resource';
/** The project name the customer gave; also the base of every `Name` tag (V8). */
export const TAG_PROJECT = 'byoc:project';
/** V8: the guide's vendor tag (the Japanese guide mistranslates the key; the English original is `Vendor`). */
export const TAG_VENDOR_KEY = 'Vendor';
export const TAG_VENDOR_VALUE = 'zilliz-byoc';

/**
 * R4, S2, X1: every role we make is named `zilliz-byoc-...` with path `/`. The vendor's cross-account permissions
 * may read, pass to EKS and re-trust only `arn:aws:iam::*:role/zilliz-byoc*`: a role outside it breaks onboarding.
 */
export const ROLE_NAME_PREFIX = 'zilliz-byoc';

/**
 * X1: the vendor's control plane, which the cross-account role trusts (with the customer's external ID).
 * From the vendor's Terraform (`modules/conf.yaml`). Overridable per deployment: serverless.yml sets
 * `BYOC_VENDOR_PRINCIPAL_ARN` from the deploy parameter `vendorPrincipalArn`; ValidateInput reads it.
 */
export const VENDOR_CONTROL_PLANE_ROLE_ARN = 'arn:aws:iam::965570967084:role/zilliz-byoc';

/**
 * What marks an execution of the provision state machine as an in-place update: its name is
 * `<id>--update-<n>` (shared/registry/lifecycle.ts names them). The ASL's `IsUpdate` choices match
 * `*--update-*` on the execution name and ValidateInput sets `config.mode` from it; a provisioning ID may therefore
 * not contain it (parseRequest refuses one). A unit test checks the ASL against this constant.
 */
export const UPDATE_EXECUTION_MARKER = '--update-';

/**
 * Tag keys that are never the caller's, so an update never removes them even when an earlier request's `tags`
 * named them: our own (`Name`, `Vendor`, `byoc:*`), Kubernetes' (`kubernetes.io/*`, e.g. the subnets' role tags) and
 * AWS's (`aws:*`, which nobody may set or remove).
 */
export const SYSTEM_TAG_KEY = /^(Name|Vendor|byoc:.*|kubernetes\.io\/.*|aws:.*)$/;

/** Environment variables the functions read. */
export const ENV = {
  /** ARN of the provision state machine (API and custom-resource functions). */
  provisionStateMachineArn: 'PROVISION_STATE_MACHINE_ARN',
  /** ARN of the teardown state machine. */
  teardownStateMachineArn: 'TEARDOWN_STATE_MACHINE_ARN',
  /** Directory where the local stack keeps its execution records. */
  stateDir: 'BYOC_STATE_DIR',
  /** X1: overrides {@link VENDOR_CONTROL_PLANE_ROLE_ARN} (the principal the cross-account role trusts). */
  vendorPrincipalArn: 'BYOC_VENDOR_PRINCIPAL_ARN',
  /** The registry's DynamoDB table (API and custom-resource functions; the local stack sets it for moto). */
  registryTable: 'REGISTRY_TABLE_NAME',
} as const;

/** The Lambda functions, by the name used in serverless.yml and in the ASL placeholders (`${<Name>FunctionArn}`). */
export const FUNCTION_NAMES = ['ValidateInput', 'CreateVpc', 'DeleteVpc', 'Report'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * ASL placeholder for the registry table's name (`${RegistryTableName}`): the state machines write the registry with
 * the `dynamodb:updateItem` SDK integration. Filled by DefinitionSubstitutions on AWS and by the local engine here.
 */
export const REGISTRY_TABLE_PLACEHOLDER = 'RegistryTableName';

/**
 * What a registry write (`dynamodb:updateItem` from the ASL) retries: throttling, DynamoDB's 5xx, a transaction in
 * the way, and the integration's catch-all for an unmodeled error (5xx among them). Step Functions names them
 * `DynamoDB.<error code>`. The writes are idempotent (SET, and ADD to a version that only has to grow).
 */
export const DYNAMODB_TRANSIENT_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.ThrottlingException',
  'DynamoDB.InternalServerError',
  'DynamoDB.TransactionConflictException',
  'DynamoDB.AmazonDynamoDBException',
] as const;

/** ASL placeholder for a function's ARN: substituted by CloudFormation on AWS and by the local engine here. */
export const functionArnPlaceholder = (name: string): string => `${name}FunctionArn`;

/** Default VPC CIDR (the guide's example). */
export const DEFAULT_VPC_CIDR = '10.0.0.0/16';

/**
 * Completion events (docs/events.md): when a provisioning, an update or a teardown ends, its state machine publishes
 * exactly one event on the default EventBridge bus with the `events:putEvents` service integration (no Lambda),
 * right after the registry write that records the end. `source` is this; `detail-type` says what ended and how.
 */
export const COMPLETION_EVENT_SOURCE = 'byoc.provisioner';

/**
 * Every `detail-type` of a completion event, with the registry status (`detail.status`) it carries and the kind of
 * execution that ended (`detail.kind`). A unit test checks the ASL against this table and against the registry write
 * before each publish; docs/events.md lists the same.
 */
export const COMPLETION_DETAIL_TYPES = {
  'Provisioning Succeeded': { status: 'SUCCEEDED', kind: 'provision' },
  'Provisioning Failed': { status: 'FAILED', kind: 'provision' },
  'Provisioning Rolled Back': { status: 'ROLLED_BACK', kind: 'provision' },
  'Provisioning Rollback Incomplete': { status: 'ROLLBACK_INCOMPLETE', kind: 'provision' },
  'Update Succeeded': { status: 'SUCCEEDED', kind: 'update' },
  'Update Failed': { status: 'UPDATE_FAILED', kind: 'update' },
  'Teardown Succeeded': { status: 'TORN_DOWN', kind: 'teardown' },
  'Teardown Failed': { status: 'TEARDOWN_FAILED', kind: 'teardown' },
  'Teardown Refused': { status: 'TEARDOWN_FAILED', kind: 'teardown' },
} as const;
export type CompletionDetailType = keyof typeof COMPLETION_DETAIL_TYPES;

/**
 * What an event publish (`events:putEvents` from the ASL) retries: EventBridge's 5xx, an entry EventBridge refused
 * (`EventBridge.FailedEntry`: throttling or an internal failure of that entry), and the integration's catch-all for
 * an unmodeled error. A publish that still fails is caught and the execution goes on to its end: an event never
 * changes how a provisioning ended (docs/events.md, delivery).
 */
export const EVENTBRIDGE_TRANSIENT_ERRORS = ['EventBridge.FailedEntry', 'EventBridge.InternalException', 'EventBridge.AmazonEventBridgeException'] as const;
