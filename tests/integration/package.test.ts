import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeholdersOf } from '../../local/engine';

const root = join(__dirname, '..', '..');

/**
 * The real-AWS path is proven by packaging: `npm run package` must build the CloudFormation template offline with
 * dummy credentials, and cfn-lint must find no error in it.
 */
describe('npm run package (offline, dummy credentials)', () => {
  const out = mkdtempSync(join(tmpdir(), 'byoc-package-'));
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

  beforeAll(() => {
    // Package a copy of the service, so a `npm run package` in the checkout at the same time cannot collide with
    // this one in .serverless/ and .esbuild/ (serverless-esbuild's work folders live in the service folder).
    const copy = mkdtempSync(join(tmpdir(), 'byoc-service-'));
    for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'shared', 'statemachine', 'bin']) cpSync(join(root, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const run = spawnSync(process.execPath, [join(copy, 'bin', 'package.js'), '--package', out, '--stage', 'ci', '--region', 'eu-central-1'], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
    if (run.status !== 0) throw new Error(`package failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 180_000);

  it('produces a template that cfn-lint accepts with no errors (warnings allowed)', () => {
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', join(out, 'cloudformation-template-update-stack.json')], { encoding: 'utf8' });
    if (lint.error) throw new Error(`cfn-lint could not run: ${lint.error.message} (it ships in the machine image's Python: pip install cfn-lint)`);
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    expect((lint.status ?? 0) & 2).toBe(0);
  });

  it('builds one small zip per function', () => {
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(zips.length).toBe(functions.length);
    for (const zip of zips) expect(statSync(join(out, zip)).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('runs every function on nodejs22.x with its own role', () => {
    for (const [name, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      expect({ name, runtime: r.Properties.Runtime }).toEqual({ name, runtime: 'nodejs22.x' });
      expect(r.Properties.Role).toHaveProperty('Fn::GetAtt');
    }
  });

  it('fills every placeholder of both state machines from DefinitionSubstitutions', () => {
    for (const id of ['ProvisionStateMachine', 'TeardownStateMachine']) {
      const machine = template.Resources[id];
      expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
      const definition = JSON.stringify(machine.Properties.DefinitionString);
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      for (const p of placeholdersOf(definition)) expect(substitutions).toHaveProperty(`${p}FunctionArn`);
    }
  });
});
