import {
  CUSTOMER_ROLE_TEMPLATE,
  customerRolePolicies,
  evaluateIam,
  SERVERLESS_TEMPLATE,
  serverlessRoles,
  templateText,
  type AuthorizationCheck,
  type IamIdentity,
} from '../../../local/realism/iam';

/**
 * The guards the README promises, proven with the policy simulator on the templates as deployed (issue 11, X1, R4):
 * each is a request AWS must refuse and its legitimate twin AWS must allow, so neither the guard nor the grant can
 * silently go. The workflow runs under the same evaluation in tests/integration/iam-enforcement.
 */
const CUSTOMER = '111122223333';
const VENDOR = '123456789012';
const REGION = 'us-west-2';
const PID = 'p-1';
const BOUNDARY = `arn:aws:iam::${CUSTOMER}:policy/ByocBoundary`;

const customer = (parameters: Record<string, string> = {}): IamIdentity => ({
  principal: `arn:aws:sts::${CUSTOMER}:assumed-role/ZillizByocProvisioner/byoc-${PID}`,
  accountId: CUSTOMER,
  policies: customerRolePolicies({ accountId: CUSTOMER, region: REGION }, { VendorAccountId: VENDOR, ExternalId: 'ext-1', ...parameters }).policies,
});
const lambda = (logicalId: string, params: Record<string, string> = {}): IamIdentity => {
  const role = serverlessRoles({ accountId: VENDOR, region: REGION }, params).roles[logicalId];
  return { principal: `arn:aws:sts::${VENDOR}:assumed-role/${logicalId}/fn`, accountId: VENDOR, policies: role.policies };
};
const allowed = async (identity: IamIdentity, check: AuthorizationCheck) => (await evaluateIam(identity, check)).allowed;

const ec2 = (account: string, type: string, id = 'x-1') => `arn:aws:ec2:${REGION}:${account}:${type}/${id}`;
const ours = { 'ec2:ResourceTag/byoc:provisioning-id': PID, 'aws:ResourceTag/byoc:provisioning-id': PID };
const ourRequest = { 'aws:RequestTag/byoc:provisioning-id': PID, 'aws:TagKeys': ['byoc:provisioning-id'] };
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

describe.each([
  ['the customer role (deploy/customer-role.yaml)', () => customer(), CUSTOMER, 'NetworkStepsRole'],
  ['the network steps role (serverless.yml)', () => lambda('NetworkStepsRole'), VENDOR, 'NetworkStepsRole'],
])('EC2 guards of %s', (_, who, account) => {
  it('tags only at creation: CreateTags with our tag on an existing resource of the customer is refused', async () => {
    const identity = who();
    expect(await allowed(identity, { action: 'ec2:CreateTags', resource: ec2(account, 'vpc', 'vpc-new'), context: { ...ourRequest, 'ec2:CreateAction': 'CreateVpc' } })).toBe(true);
    expect(await allowed(identity, { action: 'ec2:CreateTags', resource: ec2(account, 'vpc', 'vpc-theirs'), context: ourRequest })).toBe(false);
  });

  it('creates only with our tag in the request', async () => {
    const identity = who();
    expect(await allowed(identity, { action: 'ec2:CreateVpc', resource: ec2(account, 'vpc', 'new'), context: ourRequest })).toBe(true);
    expect(await allowed(identity, { action: 'ec2:CreateVpc', resource: ec2(account, 'vpc', 'new'), context: {} })).toBe(false);
  });

  it.each([
    ['ec2:DeleteSecurityGroup', 'security-group'],
    ['ec2:DeleteVpc', 'vpc'],
    ['ec2:ReleaseAddress', 'elastic-ip'],
  ])('%s only on what carries our tag', async (action, type) => {
    const identity = who();
    expect(await allowed(identity, { action, resource: ec2(account, type), context: ours })).toBe(true);
    expect(await allowed(identity, { action, resource: ec2(account, type), context: {} })).toBe(false);
  });

  it.each([
    ['ec2:CreateRoute', 'route-table'],
    ['ec2:AuthorizeSecurityGroupIngress', 'security-group'],
    ['ec2:CreateSubnet', 'vpc'],
    ['ec2:ModifySubnetAttribute', 'subnet'],
  ])('%s does not reach the customer\'s own %s (only ours, by tag)', async (action, type) => {
    const identity = who();
    expect(await allowed(identity, { action, resource: ec2(account, type), context: { ...ours, 'ec2:Vpc': ec2(account, 'vpc', 'vpc-1') } })).toBe(true);
    expect(await allowed(identity, { action, resource: ec2(account, type), context: { 'ec2:Vpc': ec2(account, 'vpc', 'vpc-1') } })).toBe(false);
  });
});

describe('IAM guards of the customer role', () => {
  it('creates roles only named zilliz-byoc* and only with our tag in the request', async () => {
    const identity = customer();
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: role(CUSTOMER, 'zilliz-byoc-demo-eks-role'), context: ourRequest })).toBe(true);
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: role(CUSTOMER, 'admin-eks-role'), context: ourRequest })).toBe(false);
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: role(CUSTOMER, 'zilliz-byoc-demo-eks-role'), context: {} })).toBe(false);
  });

  it.each(['iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRole', 'iam:DetachRolePolicy'])('%s only on a role carrying our tag', async (action) => {
    const identity = customer();
    expect(await allowed(identity, { action, resource: role(CUSTOMER, 'zilliz-byoc-demo-eks-role'), context: { 'iam:ResourceTag/byoc:provisioning-id': PID } })).toBe(true);
    expect(await allowed(identity, { action, resource: role(CUSTOMER, 'zilliz-byoc-someone-else'), context: {} })).toBe(false);
  });

  it('attaches only the five managed policies of R2, and only to our roles', async () => {
    const identity = customer();
    const tagged = { 'iam:ResourceTag/byoc:provisioning-id': PID };
    expect(await allowed(identity, { action: 'iam:AttachRolePolicy', resource: role(CUSTOMER, 'zilliz-byoc-x'), context: { ...tagged, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy' } })).toBe(true);
    expect(await allowed(identity, { action: 'iam:AttachRolePolicy', resource: role(CUSTOMER, 'zilliz-byoc-x'), context: { ...tagged, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } })).toBe(false);
    expect(await allowed(identity, { action: 'iam:AttachRolePolicy', resource: role(CUSTOMER, 'zilliz-byoc-x'), context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy' } })).toBe(false);
  });

  it('with PermissionsBoundaryArn, creates and changes roles only under that boundary and never removes it', async () => {
    const identity = customer({ PermissionsBoundaryArn: BOUNDARY });
    const name = role(CUSTOMER, 'zilliz-byoc-demo-eks-role');
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: name, context: { ...ourRequest, 'iam:PermissionsBoundary': BOUNDARY } })).toBe(true);
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: name, context: ourRequest })).toBe(false);
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: name, context: { ...ourRequest, 'iam:PermissionsBoundary': `arn:aws:iam::${CUSTOMER}:policy/Other` } })).toBe(false);
    const tagged = { 'iam:ResourceTag/byoc:provisioning-id': PID, 'iam:PermissionsBoundary': BOUNDARY };
    expect(await allowed(identity, { action: 'iam:PutRolePolicy', resource: name, context: tagged })).toBe(true);
    expect(await allowed(identity, { action: 'iam:DeleteRolePermissionsBoundary', resource: name, context: tagged })).toBe(false);
    // Without the parameter, the boundary is the request's choice.
    expect(await allowed(customer(), { action: 'iam:DeleteRolePermissionsBoundary', resource: name, context: { 'iam:ResourceTag/byoc:provisioning-id': PID } })).toBe(true);
  });

  it('may only be assumed by the vendor account with the external ID', async () => {
    const { trustPolicy, roleArn } = customerRolePolicies({ accountId: CUSTOMER, region: REGION }, { VendorAccountId: VENDOR, ExternalId: 'ext-1' });
    const stepRole = lambda('NetworkStepsRole');
    const assume = (identity: IamIdentity, externalId: string) =>
      evaluateIam(identity, { action: 'sts:AssumeRole', resource: roleArn, context: { 'sts:ExternalId': externalId } }, { resourcePolicy: trustPolicy, resourceAccount: CUSTOMER });
    expect((await assume(stepRole, 'ext-1')).allowed).toBe(true);
    expect((await assume(stepRole, 'ext-2')).allowed).toBe(false);
    const stranger = { ...stepRole, principal: 'arn:aws:sts::444455556666:assumed-role/X/y', accountId: '444455556666', policies: [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'sts:AssumeRole', Resource: '*' }] } }] };
    expect((await assume(stranger, 'ext-1')).allowed).toBe(false);
  });
});

describe('Route 53 guards (no tag conditions exist for hosted zones: record changes by name)', () => {
  it.each([
    ['the customer role', () => customer(), CUSTOMER],
    ['the network steps role', () => lambda('NetworkStepsRole'), VENDOR],
  ])('%s changes records only in the private zone byoc.zillizcloud.com', async (_, who) => {
    const change = (names: string[]): AuthorizationCheck => ({
      action: 'route53:ChangeResourceRecordSets',
      resource: 'arn:aws:route53:::hostedzone/Z1',
      context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names, 'route53:ChangeResourceRecordSetsRecordTypes': names.map(() => 'A'), 'route53:ChangeResourceRecordSetsActions': names.map(() => 'UPSERT') },
    });
    expect(await allowed(who(), change(['zilliz-byoc-us.byoc.zillizcloud.com']))).toBe(true);
    expect(await allowed(who(), change(['www.customer.example']))).toBe(false);
    expect(await allowed(who(), change(['zilliz-byoc-us.byoc.zillizcloud.com', 'api.customer.example']))).toBe(false);
  });
});

describe("the provisioner's own roles (serverless.yml)", () => {
  it.each(['ValidateRole', 'NetworkStepsRole', 'IamStepsRole', 'StorageStepsRole', 'TagStepsRole', 'ReadOnlyStepsRole', 'OidcApiRole'])(
    '%s may assume only the customer roles of customerRoleArnPattern, in the stack\'s partition',
    async (logicalId) => {
      const check = (resource: string) => allowed(lambda(logicalId), { action: 'sts:AssumeRole', resource, context: {} });
      expect(await check(role(CUSTOMER, 'ZillizByocProvisioner'))).toBe(true);
      expect(await check(role(CUSTOMER, 'OrganizationAccountAccessRole'))).toBe(false);
      expect(await check(`arn:aws-cn:iam::${CUSTOMER}:role/ZillizByocProvisioner`)).toBe(false);
      const narrowed = (resource: string) => allowed(lambda(logicalId, { customerRoleArnPattern: `arn:\${AWS::Partition}:iam::${CUSTOMER}:role/ZillizByoc*` }), { action: 'sts:AssumeRole', resource, context: {} });
      expect(await narrowed(role(CUSTOMER, 'ZillizByocProvisioner'))).toBe(true);
      expect(await narrowed(role('444455556666', 'ZillizByocProvisioner'))).toBe(false);
    },
  );

  it('writes IAM only on zilliz-byoc* roles of its own account, and only ours', async () => {
    const identity = lambda('IamStepsRole');
    const tagged = { 'iam:ResourceTag/byoc:provisioning-id': PID };
    expect(await allowed(identity, { action: 'iam:PutRolePolicy', resource: role(VENDOR, 'zilliz-byoc-demo-eks-role'), context: tagged })).toBe(true);
    expect(await allowed(identity, { action: 'iam:PutRolePolicy', resource: role(VENDOR, 'byoc-provisioner-prod-ApiRole'), context: tagged })).toBe(false);
    expect(await allowed(identity, { action: 'iam:CreateRole', resource: role(VENDOR, 'admin'), context: ourRequest })).toBe(false);
    expect(await allowed(identity, { action: 'iam:DeleteRole', resource: role(VENDOR, 'zilliz-byoc-theirs'), context: {} })).toBe(false);
    const oidc = lambda('OidcApiRole');
    expect(await allowed(oidc, { action: 'iam:UpdateAssumeRolePolicy', resource: role(VENDOR, 'zilliz-byoc-demo-eks-role'), context: tagged })).toBe(true);
    expect(await allowed(oidc, { action: 'iam:UpdateAssumeRolePolicy', resource: role(VENDOR, 'byoc-provisioner-prod-ApiRole'), context: tagged })).toBe(false);
  });
});

describe('every `*` resource says why', () => {
  it.each([
    ['deploy/customer-role.yaml', CUSTOMER_ROLE_TEMPLATE],
    ['serverless.yml', SERVERLESS_TEMPLATE],
  ])('%s: each `Resource: *` has a "# why: ..." on its line', (_, path) => {
    const lines = templateText(path).split('\n');
    const stars = lines.map((line, i) => ({ line, n: i + 1 })).filter(({ line }) => /^\s*(-\s*)?(Resource:\s*)?['"]\*['"]\s*(#.*)?$/.test(line) || /Resource:\s*\[\s*['"]\*['"]/.test(line));
    expect(stars.length).toBeGreaterThan(0);
    const unexplained = stars.filter(({ line }) => !/#\s*why:\s*\S.{10,}/.test(line)).map(({ line, n }) => `${n}: ${line.trim()}`);
    expect(unexplained).toEqual([]);
  });
});
