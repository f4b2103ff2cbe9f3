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

/**
 * `$.storageRole` (S2) and `$.crossAccountRole` (X1), written by CreateStorageRole and CreateCrossAccountRole:
 * the same shape as `$.eksRole`.
 */
export type RoleState = EksRoleState;

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
  storageRole?: RoleState;
  crossAccountRole?: RoleState;
}

/**
 * What DeleteEksRole, DeleteStorageRole and DeleteCrossAccountRole read: a provisioning config during rollback, or
 * the teardown config (whose role names are optional), plus whatever `$.eksRole`, `$.storageRole` and
 * `$.crossAccountRole` the provisioning got to write.
 */
export interface IamUndoState {
  config: TargetConfig & {
    iamRole?: Pick<ProvisioningConfig['iamRole'], 'name'>;
    storageRole?: Pick<ProvisioningConfig['storageRole'], 'name'>;
    crossAccountRole?: Pick<ProvisioningConfig['crossAccountRole'], 'name'>;
  };
  eksRole?: Partial<EksRoleState>;
  storageRole?: Partial<RoleState>;
  crossAccountRole?: Partial<RoleState>;
}

/** What a delete step of one of our roles did, each role by name. */
export interface DeleteRolesResult {
  /** Roles of ours deleted by this call. */
  deleted: string[];
  /** Roles that did not exist (never made, or already deleted, e.g. by an earlier attempt): nothing to do. */
  notFound: string[];
  /** Roles of the configured name that exist but are not ours: left untouched (we never created them). */
  leftForeign: string[];
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
