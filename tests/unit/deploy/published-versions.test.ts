import { existsSync } from 'node:fs';
import { join } from 'node:path';
import PublishedVersionsPlugin, { pinToPublishedVersions } from '../../../deploy/plugins/published-versions';
import { loadServerlessConfig } from '../../helpers/serverless-config';

const root = join(__dirname, '..', '..', '..');
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;

/** A compiled template as the framework leaves it before our hook: two functions, their versions, one state machine. */
function compiled(substitutions: Record<string, unknown>): { Resources: Resources } {
  return {
    Resources: {
      CreateVpcLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-dev-CreateVpc' } },
      CreateVpcLambdaVersionAbc123: { Type: 'AWS::Lambda::Version', DeletionPolicy: 'Retain', Properties: { FunctionName: { Ref: 'CreateVpcLambdaFunction' }, CodeSha256: 'x' } },
      DeleteVpcLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-dev-DeleteVpc' } },
      DeleteVpcLambdaVersionDef456: { Type: 'AWS::Lambda::Version', DeletionPolicy: 'Retain', Properties: { FunctionName: { Ref: 'DeleteVpcLambdaFunction' }, CodeSha256: 'y' } },
      RegistryTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      ProvisionStateMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{}', DefinitionSubstitutions: substitutions } },
    },
  };
}

describe('deploy/plugins/published-versions (the state machines call published Lambda versions)', () => {
  it('rewrites every substitution naming a function of the stack to !Ref of its version, in both GetAtt forms', () => {
    const template = compiled({
      CreateVpcFunctionArn: { 'Fn::GetAtt': ['CreateVpcLambdaFunction', 'Arn'] },
      DeleteVpcFunctionArn: { 'Fn::GetAtt': 'DeleteVpcLambdaFunction.Arn' },
    });
    const rewritten = pinToPublishedVersions(template);
    expect(template.Resources.ProvisionStateMachine.Properties!.DefinitionSubstitutions).toEqual({
      CreateVpcFunctionArn: { Ref: 'CreateVpcLambdaVersionAbc123' },
      DeleteVpcFunctionArn: { Ref: 'DeleteVpcLambdaVersionDef456' },
    });
    expect(rewritten.map((r) => r.key).sort()).toEqual(['CreateVpcFunctionArn', 'DeleteVpcFunctionArn']);
  });

  it('leaves every other substitution alone (table names and ARNs, literals, other attributes)', () => {
    const others = {
      RegistryTableName: { Ref: 'RegistryTable' },
      RegistryTableArn: { 'Fn::GetAtt': ['RegistryTable', 'Arn'] },
      Literal: 'arn:aws:lambda:us-east-1:123456789012:function:someone-else',
      CreateVpcFunctionName: { Ref: 'CreateVpcLambdaFunction' },
    };
    const template = compiled(structuredClone(others));
    expect(pinToPublishedVersions(template)).toEqual([]);
    expect(template.Resources.ProvisionStateMachine.Properties!.DefinitionSubstitutions).toEqual(others);
  });

  it('fails, naming the function and the fix, when a called function has no published version', () => {
    const template = compiled({ CreateVpcFunctionArn: { 'Fn::GetAtt': ['CreateVpcLambdaFunction', 'Arn'] } });
    delete template.Resources.CreateVpcLambdaVersionAbc123;
    expect(() => pinToPublishedVersions(template)).toThrow(/ProvisionStateMachine: DefinitionSubstitutions\.CreateVpcFunctionArn names CreateVpcLambdaFunction.*versionFunctions/);
  });

  it('refuses to guess between two versions of one function', () => {
    const template = compiled({ CreateVpcFunctionArn: { 'Fn::GetAtt': ['CreateVpcLambdaFunction', 'Arn'] } });
    template.Resources.CreateVpcLambdaVersionOther = { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'CreateVpcLambdaFunction' } } };
    expect(() => pinToPublishedVersions(template)).toThrow(/two version resources/);
  });

  it('runs after the framework merged resources.extensions, and reports failures as a framework error', () => {
    class ServerlessError extends Error {}
    const template = compiled({ CreateVpcFunctionArn: { 'Fn::GetAtt': ['CreateVpcLambdaFunction', 'Arn'] } });
    const serverless = { service: { provider: { compiledCloudFormationTemplate: template } }, classes: { Error: ServerlessError } };
    const verbose = jest.fn();
    const plugin = new PublishedVersionsPlugin(serverless, {}, { log: { verbose } });
    expect(Object.keys(plugin.hooks)).toEqual(['after:aws:package:finalize:mergeCustomProviderResources']);
    plugin.hooks['after:aws:package:finalize:mergeCustomProviderResources']();
    expect(template.Resources.ProvisionStateMachine.Properties!.DefinitionSubstitutions).toEqual({ CreateVpcFunctionArn: { Ref: 'CreateVpcLambdaVersionAbc123' } });
    expect(verbose).toHaveBeenCalledWith(expect.stringContaining('1 substitution(s) in ProvisionStateMachine'));

    delete template.Resources.DeleteVpcLambdaVersionDef456;
    (template.Resources.ProvisionStateMachine.Properties!.DefinitionSubstitutions as Record<string, unknown>).DeleteVpcFunctionArn = { 'Fn::GetAtt': ['DeleteVpcLambdaFunction', 'Arn'] };
    expect(() => plugin.pin()).toThrow(ServerlessError);
  });

  it('is loaded by serverless.yml, with function versions on', () => {
    const config = loadServerlessConfig() as unknown as { plugins: string[]; provider: { versionFunctions?: boolean } };
    expect(config.plugins).toContain('./deploy/plugins/published-versions');
    expect(existsSync(join(root, 'deploy', 'plugins', 'published-versions.js'))).toBe(true);
    expect(config.provider.versionFunctions).not.toBe(false);
  });
});
