'use strict';
/**
 * Local Serverless Framework plugin (loaded from serverless.yml's `plugins` as ./deploy/plugins/published-versions):
 * the state machines call **published Lambda versions**, never `$LATEST`.
 *
 * Step Functions keeps the definition an execution started with, but a Task that names an unqualified function ARN
 * runs whatever code `$LATEST` holds at that moment: a deploy in the middle of a provisioning (which waits minutes for
 * a NAT gateway) would run the rest of it, rollback included, with new code against state written by the old code.
 * A qualified ARN (`function:name:7`) pins the code: the definition of a running execution names the versions it
 * started with, and the framework keeps every version it published (`DeletionPolicy: Retain`).
 *
 * serverless.yml fills the ASL placeholders through `resources.extensions.<Machine>.Properties.DefinitionSubstitutions`
 * with `!GetAtt <Fn>LambdaFunction.Arn` (readable, and checked against the ASL by a unit test).
 * serverless-step-functions' `useExactVersion` only rewrites intrinsic functions written inside a definition, not
 * DefinitionSubstitutions, so it cannot see these. This plugin runs right after the framework merged `resources` into
 * the compiled template and replaces every substitution that is the ARN of one of this stack's functions by `!Ref` of
 * that function's `AWS::Lambda::Version` (whose Ref is the qualified ARN). Everything else (table names, other ARNs)
 * is left alone. A function without a version resource (`versionFunctions: false`) fails the packaging.
 */

/** `{ 'Fn::GetAtt': ['XLambdaFunction', 'Arn'] }` or `{ 'Fn::GetAtt': 'XLambdaFunction.Arn' }` -> 'XLambdaFunction'. */
function functionArnTarget(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length !== 1) return undefined;
  const getAtt = value['Fn::GetAtt'];
  if (getAtt === undefined) return undefined;
  const [logicalId, attribute] = Array.isArray(getAtt) ? getAtt : String(getAtt).split('.');
  return attribute === 'Arn' && typeof logicalId === 'string' ? logicalId : undefined;
}

/**
 * Rewrite, in place, the DefinitionSubstitutions of every state machine of a compiled CloudFormation template so that
 * each one naming a Lambda function of the template names its published version instead.
 * @param {{ Resources?: Record<string, { Type: string, Properties?: Record<string, any> }> }} template
 * @returns {{ stateMachine: string, key: string, function: string, version: string }[]} what was rewritten
 */
function pinToPublishedVersions(template) {
  const resources = template.Resources || {};
  const versionOf = new Map();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Version') continue;
    const fn = resource.Properties && resource.Properties.FunctionName && resource.Properties.FunctionName.Ref;
    if (typeof fn !== 'string') continue;
    if (versionOf.has(fn)) throw new Error(`${fn} has two version resources (${versionOf.get(fn)}, ${logicalId}): cannot tell which one the state machines should call`);
    versionOf.set(fn, logicalId);
  }

  const rewritten = [];
  for (const [stateMachine, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const substitutions = resource.Properties && resource.Properties.DefinitionSubstitutions;
    if (!substitutions) continue;
    for (const [key, value] of Object.entries(substitutions)) {
      const fn = functionArnTarget(value);
      if (!fn || !resources[fn] || resources[fn].Type !== 'AWS::Lambda::Function') continue;
      const version = versionOf.get(fn);
      if (!version) {
        throw new Error(
          `${stateMachine}: DefinitionSubstitutions.${key} names ${fn}, which has no published version (AWS::Lambda::Version). ` +
            'Keep provider.versionFunctions on (and no versionFunction: false on the function): the state machines must call published versions.',
        );
      }
      substitutions[key] = { Ref: version };
      rewritten.push({ stateMachine, key, function: fn, version });
    }
  }
  return rewritten;
}

class PublishedVersionsPlugin {
  constructor(serverless, _options, utils) {
    this.serverless = serverless;
    this.log = utils && utils.log;
    this.hooks = {
      // After `resources` (and its `extensions`, where our substitutions live) is merged into the compiled template,
      // before the template is validated and written to .serverless/.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.pin(),
    };
  }

  pin() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    let rewritten;
    try {
      rewritten = pinToPublishedVersions(template);
    } catch (error) {
      throw new this.serverless.classes.Error(`published-versions: ${error.message}`, 'BYOC_PUBLISHED_VERSIONS');
    }
    if (this.log) {
      const machines = [...new Set(rewritten.map((r) => r.stateMachine))];
      this.log.verbose(`published-versions: ${rewritten.length} substitution(s) in ${machines.join(', ') || 'no state machine'} now name published Lambda versions`);
    }
  }
}

module.exports = PublishedVersionsPlugin;
module.exports.pinToPublishedVersions = pinToPublishedVersions;
