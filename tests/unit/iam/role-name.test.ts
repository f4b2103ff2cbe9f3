import { InvalidInputError } from '../../../shared/errors';
import { parseRequest } from '../../../shared/request';
import { testConfig } from '../../helpers/config';

const TEST_EXTERNAL_ID = 'cid-0123456789abcdef';

const problemsFor = (field: 'iamRole' | 'storageRole' | 'crossAccountRole', name: string) => {
  const crossAccountRole = { externalId: TEST_EXTERNAL_ID, ...(field === 'crossAccountRole' ? { name } : {}) };
  try {
    parseRequest({ projectName: 'demo', region: 'us-west-2', crossAccountRole, ...(field === 'crossAccountRole' ? {} : { [field]: { name } }) });
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.problems;
  }
};

describe.each(['iamRole', 'storageRole', 'crossAccountRole'] as const)('the %s name (R4, S2, X1)', (field) => {
  it.each(['zilliz-byoc', 'zilliz-byoc-demo-eks-role', 'zilliz-byoc_with+all=chars,.@-', `zilliz-byoc${'x'.repeat(53)}`])('accepts %j: within role/zilliz-byoc*', (name) => {
    expect(problemsFor(field, name)).toEqual([]);
  });

  it.each(['', 'demo-eks-role', 'Zilliz-byoc-demo', `zilliz-byoc${'x'.repeat(54)}`, 'zilliz-byoc has space', 'zilliz-byoc/a', 'zilliz-byocé', 'zilliz-byoc*'])(
    'rejects %j, naming the field and the zilliz-byoc rule',
    (name) => {
      expect(problemsFor(field, name)).toEqual([{ field: `${field}.name`, rule: expect.stringContaining('starting with "zilliz-byoc"') }]);
    },
  );
});

describe('the default role names (R4, S2, X1)', () => {
  it('are zilliz-byoc-<project>-<kind>-role, the EKS role at the root path', () => {
    const config = testConfig({ projectName: 'shop', crossAccountRole: { externalId: TEST_EXTERNAL_ID } });
    expect(config.iamRole).toEqual({ name: 'zilliz-byoc-shop-eks-role', path: '/' });
    expect(config.storageRole).toEqual({ name: 'zilliz-byoc-shop-storage-role' });
    expect(config.crossAccountRole).toMatchObject({ name: 'zilliz-byoc-shop-cross-account-role', externalId: TEST_EXTERNAL_ID });
  });

  it('fit IAM\'s 64 characters with the longest project name', () => {
    const config = testConfig({ projectName: 'p'.repeat(32), crossAccountRole: { externalId: TEST_EXTERNAL_ID } });
    for (const name of [config.iamRole.name, config.storageRole.name, config.crossAccountRole.name]) expect(name.length).toBeLessThanOrEqual(64);
  });
});
