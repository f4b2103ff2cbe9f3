import { InvalidInputError } from '../../../shared/errors';
import { parseRequest } from '../../../shared/request';
import { testConfig } from '../../helpers/config';

const problemsFor = (name: string) => {
  try {
    parseRequest({ projectName: 'demo', region: 'us-west-2', iamRole: { name } });
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return error.problems;
  }
};

describe('the EKS role name', () => {
  it.each(['a', 'demo-eks-role', 'Role_with+all=chars,.@-', 'x'.repeat(64)])('accepts the IAM role name %j', (name) => {
    expect(problemsFor(name)).toEqual([]);
  });

  it.each(['', 'x'.repeat(65), 'has space', 'a/b', 'é', 'name*'])('rejects %j, naming iamRole.name and the rule', (name) => {
    expect(problemsFor(name)).toEqual([{ field: 'iamRole.name', rule: expect.stringContaining('1-64 of [A-Za-z0-9_+=,.@-]') }]);
  });

  it('defaults to <project>-eks-role at the root path', () => {
    const config = testConfig({ projectName: 'shop' });
    expect(config.iamRole).toEqual({ name: 'shop-eks-role', path: '/' });
  });
});
