/**
 * IAM judged the way AWS judges it, on the local stack (docs/decisions.md, 22). `evaluateIam` is the one entry to the
 * policy simulator; `serverlessRoles` / `customerRolePolicies` read the policies the product deploys;
 * `authorizationChecks` says what AWS authorizes for a call; `createIamEnforcement` is what the realism layer runs.
 */
export { evaluateIam, type IamDecision, type IamIdentity } from './evaluate';
export { createIamEnforcement, customerRoleStatementIds, LOCAL_ACCOUNT_ID, type IamEnforcement, type IamEnforcementSettings, type IamVerdict, type RecordedCheck } from './enforcement';
export { currentFunction, runAsFunction } from './identity';
export { authorizationChecks, S3_ACTIONS, type AuthorizationCheck, type CallScope, type FactFinder, type ResourceFacts } from './requests';
export {
  customerRolePolicies,
  CUSTOMER_ROLE_TEMPLATE,
  loadTemplate,
  resolveIntrinsics,
  SERVERLESS_TEMPLATE,
  serverlessRoles,
  templateText,
  type CustomerRolePolicies,
  type DeployTarget,
  type LambdaRolePolicies,
  type NamedPolicy,
  type PolicyDocument,
  type PolicyStatement,
} from './templates';
