import type { ProvisioningConfig, TargetConfig } from '../config';

/** `$.eksRole`: written by CreateEksRole (R4 hands `roleArn` back). */
export interface EksRoleState {
  roleName: string;
  roleArn: string;
  /**
   * True when the step found the role already there (made by an earlier attempt of this same provisioning, so
   * it carries our provisioning-ID tag) instead of creating it now. A role of someone else is never adopted.
   */
  adopted: boolean;
}

/** `$.managedPolicies`: written by AttachManagedPolicies (R2). */
export interface ManagedPoliciesState {
  /** The ARNs of the five AWS managed policies, in the guide's order, for the config's partition. */
  attached: string[];
}

/** `$.inlinePolicies`: written by PutInlinePolicies (R3). */
export interface InlinePoliciesState {
  /** The inline policy names on the role, in the guide's order. */
  names: string[];
  /** Their total size as IAM counts it against the 10,240-character role quota (whitespace not counted). */
  totalCharacters: number;
}

/** The part of the provisioning state the IAM steps read and write. Each step returns only its own piece. */
export interface IamState {
  config: ProvisioningConfig;
  eksRole?: EksRoleState;
  managedPolicies?: ManagedPoliciesState;
  inlinePolicies?: InlinePoliciesState;
}

/**
 * What DeleteEksRole reads: a provisioning config during rollback, or the teardown config (which has no
 * `iamRole`), plus whatever `$.eksRole` the provisioning got to write.
 */
export interface IamUndoState {
  config: TargetConfig & { iamRole?: Pick<ProvisioningConfig['iamRole'], 'name'> };
  eksRole?: Partial<EksRoleState>;
}

/** One statement of an IAM policy document, as far as this code reads it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { Service?: string | string[]; Federated?: string | string[]; AWS?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document (trust or permissions). */
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/**
 * IAM's "no such entity". The SDK v3 names the exception `NoSuchEntityException`; the wire code is `NoSuchEntity`.
 * Both are listed so `isNotFound(error, ...NO_SUCH_ENTITY)` holds whichever the error carries.
 */
export const NO_SUCH_ENTITY = ['NoSuchEntity', 'NoSuchEntityException'];
