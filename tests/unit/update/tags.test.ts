import { removableTagKeys, tagChange } from '../../../shared/update/tags';

describe('ApplyTags: which tags an update sets and removes (lifecycle rule "update", tags in place)', () => {
  it('removes only the keys the previous request had and the new one dropped', () => {
    expect(removableTagKeys({ team: 'data', 'cost-center': 'cc-1', owner: 'ops' }, { team: 'ml', owner: 'ops' })).toEqual(['cost-center']);
    expect(removableTagKeys(undefined, { team: 'ml' })).toEqual([]);
  });

  it('never removes a system key, even when an earlier request named it: Name, Vendor, byoc:*, kubernetes.io/*, aws:*', () => {
    const previous = { Name: 'mine', Vendor: 'x', 'byoc:provisioning-id': 'p', 'kubernetes.io/role/internal-elb': '1', 'aws:cloudformation:stack-name': 's', team: 'a' };
    expect(removableTagKeys(previous, {})).toEqual(['team']);
  });

  it('sets what is missing or different, removes removable keys only where present, and leaves every other key alone', () => {
    const current = { Name: 'demo-vpc', Vendor: 'zilliz-byoc', team: 'data', 'cost-center': 'cc-1', owner: 'ops' };
    expect(tagChange(current, { Vendor: 'zilliz-byoc', team: 'ml', env: 'prod' }, ['cost-center', 'gone'])).toEqual({ set: { team: 'ml', env: 'prod' }, remove: ['cost-center'] });
    expect(tagChange({ team: 'ml' }, { team: 'ml' }, ['cost-center'])).toEqual({ set: {}, remove: [] });
  });
});
