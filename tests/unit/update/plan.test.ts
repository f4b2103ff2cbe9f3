import { requestSchema } from '../../../shared/request';
import { planUpdate, UPDATE_RULES } from '../../../shared/update/plan';
import example from '../../../examples/request.json';

type SchemaNode = { type?: string; properties?: Record<string, SchemaNode> };

/** Every field a caller can set, as dotted paths down to the leaves (objects with free-form keys, like tags, are leaves). */
function leaves(node: SchemaNode, prefix = ''): string[] {
  if (node.type !== 'object' || !node.properties) return [prefix];
  return Object.entries(node.properties).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key));
}

describe('which request changes are applied in place and which need a replacement', () => {
  it('classifies every field of the request schema (a new field cannot be forgotten)', () => {
    const fields = leaves(requestSchema as unknown as SchemaNode).filter((f) => f !== 'provisioningId');
    expect(fields.filter((f) => !(f in UPDATE_RULES)).sort()).toEqual([]);
    expect(Object.keys(UPDATE_RULES).filter((f) => !fields.includes(f)).sort()).toEqual([]);
  });

  it('applies tag and security-group CIDR changes in place', () => {
    const plan = planUpdate(example, { ...example, tags: { team: 'data' }, network: { ...example.network, securityGroup: { ...example.network.securityGroup, ingressCidrs: ['10.1.0.0/16'] } } });
    expect(plan.inPlace.map((c) => c.field)).toEqual(['tags', 'network.securityGroup.ingressCidrs']);
    expect(plan.replacement).toEqual([]);
    expect(plan.inPlace[1]).toMatchObject({ before: ['0.0.0.0/0'], after: ['10.1.0.0/16'] });
  });

  it('needs a replacement for a new region, VPC CIDR, zones or role name', () => {
    const plan = planUpdate(example, { ...example, region: 'eu-central-1', network: { ...example.network, vpcCidr: '10.9.0.0/16' }, iamRole: { name: 'zilliz-byoc-other' } });
    expect(plan.replacement.map((c) => c.field).sort()).toEqual(['iamRole.name', 'network.vpcCidr', 'region']);
  });

  it('sees no change where a default is spelled out or left out', () => {
    const bare = { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-1' } };
    const spelled = { ...bare, network: { vpcCidr: '10.0.0.0/16', s3GatewayEndpoint: { enabled: true }, securityGroup: { strict: false, ingressCidrs: ['0.0.0.0/0'] } }, tags: {} };
    expect(planUpdate(bare, spelled)).toEqual({ inPlace: [], replacement: [] });
  });

  it('never counts the provisioning ID as a change', () => {
    expect(planUpdate({ ...example, provisioningId: 'a' }, { ...example, provisioningId: 'b' })).toEqual({ inPlace: [], replacement: [] });
  });
});
