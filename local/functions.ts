import type { Context } from 'aws-lambda';
import { handler as ApplyTags } from '../functions/steps/apply-tags';
import { handler as AttachManagedPolicies } from '../functions/steps/attach-managed-policies';
import { handler as CheckInUse } from '../functions/steps/check-in-use';
import { handler as CheckNatGateway } from '../functions/steps/check-nat-gateway';
import { handler as CheckPrivateDnsChange } from '../functions/steps/check-private-dns-change';
import { handler as CheckVpcEndpoint } from '../functions/steps/check-vpc-endpoint';
import { handler as CreateBucket } from '../functions/steps/create-bucket';
import { handler as CreateCrossAccountRole } from '../functions/steps/create-cross-account-role';
import { handler as CreateEksRole } from '../functions/steps/create-eks-role';
import { handler as CreateInternetGateway } from '../functions/steps/create-internet-gateway';
import { handler as CreateNatGateway } from '../functions/steps/create-nat-gateway';
import { handler as CreatePrivateDns } from '../functions/steps/create-private-dns';
import { handler as CreateRouteTables } from '../functions/steps/create-route-tables';
import { handler as CreateS3GatewayEndpoint } from '../functions/steps/create-s3-gateway-endpoint';
import { handler as CreateSecurityGroup } from '../functions/steps/create-security-group';
import { handler as CreateStorageRole } from '../functions/steps/create-storage-role';
import { handler as CreateSubnets } from '../functions/steps/create-subnets';
import { handler as CreateVpc } from '../functions/steps/create-vpc';
import { handler as CreateVpcEndpoint } from '../functions/steps/create-vpc-endpoint';
import { handler as DeleteBucket } from '../functions/steps/delete-bucket';
import { handler as DeleteCrossAccountRole } from '../functions/steps/delete-cross-account-role';
import { handler as DeleteEksRole } from '../functions/steps/delete-eks-role';
import { handler as DeleteInternetGateway } from '../functions/steps/delete-internet-gateway';
import { handler as DeleteNatGateway } from '../functions/steps/delete-nat-gateway';
import { handler as DeletePrivateDns } from '../functions/steps/delete-private-dns';
import { handler as DeleteRouteTables } from '../functions/steps/delete-route-tables';
import { handler as DeleteS3GatewayEndpoint } from '../functions/steps/delete-s3-gateway-endpoint';
import { handler as DeleteSecurityGroup } from '../functions/steps/delete-security-group';
import { handler as DeleteStorageRole } from '../functions/steps/delete-storage-role';
import { handler as DeleteSubnets } from '../functions/steps/delete-subnets';
import { handler as DeleteVpc } from '../functions/steps/delete-vpc';
import { handler as DeleteVpcEndpoint } from '../functions/steps/delete-vpc-endpoint';
import { handler as FindLeftovers } from '../functions/steps/find-leftovers';
import { handler as Preflight } from '../functions/steps/preflight';
import { handler as PutInlinePolicies } from '../functions/steps/put-inline-policies';
import { handler as ReleaseElasticIp } from '../functions/steps/release-elastic-ip';
import { handler as Report } from '../functions/steps/report';
import { handler as ValidateExecutionName } from '../functions/steps/validate-execution-name';
import { handler as ValidateInput } from '../functions/steps/validate-input';
import { handler as ValidateTeardownInput } from '../functions/steps/validate-teardown-input';
import { handler as Verify } from '../functions/steps/verify';

/** A Lambda handler as the local runtime calls it. */
export type LocalHandler = (event: never, context: Context) => Promise<unknown>;

/**
 * The step functions the state machines call, by their serverless.yml name. The ASL refers to each as
 * `${<Name>FunctionArn}`; a unit test checks that this table, serverless.yml and the ASL files agree.
 */
export const localFunctions: Record<string, LocalHandler> = {
  ApplyTags,
  AttachManagedPolicies,
  CheckInUse,
  CheckNatGateway,
  CheckPrivateDnsChange,
  CheckVpcEndpoint,
  CreateBucket,
  CreateCrossAccountRole,
  CreateEksRole,
  CreateInternetGateway,
  CreateNatGateway,
  CreatePrivateDns,
  CreateRouteTables,
  CreateS3GatewayEndpoint,
  CreateSecurityGroup,
  CreateStorageRole,
  CreateSubnets,
  CreateVpc,
  CreateVpcEndpoint,
  DeleteBucket,
  DeleteCrossAccountRole,
  DeleteEksRole,
  DeleteInternetGateway,
  DeleteNatGateway,
  DeletePrivateDns,
  DeleteRouteTables,
  DeleteS3GatewayEndpoint,
  DeleteSecurityGroup,
  DeleteStorageRole,
  DeleteSubnets,
  DeleteVpc,
  DeleteVpcEndpoint,
  FindLeftovers,
  Preflight,
  PutInlinePolicies,
  ReleaseElasticIp,
  Report,
  ValidateExecutionName,
  ValidateInput,
  ValidateTeardownInput,
  Verify,
} as Record<string, LocalHandler>;
