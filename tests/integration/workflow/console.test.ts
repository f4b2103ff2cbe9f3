import { dynamodbClient } from '../../../shared/aws/clients';
import { getRecord } from '../../../shared/registry/store';
import { readCompletionEvents } from '../../../local/events';
import { LOCAL_REGION } from '../../../local/executions';
import { ensureRegistryTable, localRegistryTable } from '../../../local/registry';
import { useLocalStack } from '../../helpers/local-stack';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { statesEntered } from '../../helpers/workflow';

/**
 * Console starts (docs/console.md): a person starts `byoc-provision-<stage>` with a name and a JSON input. Without
 * `provisioningId` in the input the execution name becomes the provisioning ID, so a name that is not a valid ID
 * is refused before anything is registered or made; a bad input fails in ValidateInput naming each field.
 */
describe('console starts of the provision workflow', () => {
  const stack = useLocalStack();
  const input = { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: TEST_EXTERNAL_ID } };
  /** The registry item of an ID (the table is made on the first write: a test where nothing was written has none yet). */
  async function registered(id: string) {
    await ensureRegistryTable(dynamodbClient(LOCAL_REGION), localRegistryTable());
    return getRecord(id, { dynamodb: dynamodbClient(LOCAL_REGION), tableName: localRegistryTable() });
  }

  it.each([
    ['a dot', 'demo.001'],
    ['an @', 'ops@demo'],
    ['a leading "-"', '-demo'],
    ['65 characters', `p${'x'.repeat(64)}`],
    ['the update marker', 'demo--update-1'],
    ['a letter outside ASCII', 'démo'],
  ])('refuses an execution name with %s when it would become the provisioning ID, naming `name` and the rule, before anything is registered', async (_, name) => {
    const record = await stack.run('byoc-provision', input, { name });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    expect(message).toBe(
      `ValidateExecutionName: Invalid request: name: must be a valid provisioning ID when the input has no provisioningId (the execution name then becomes the ID): ` +
        `1-64 letters, digits, "-" or "_", starting with a letter or digit, without "--update-"; name the execution so, or put "provisioningId" in the input; got ${JSON.stringify(name)}`,
    );
    // Nothing ran after the check: no registry item under the name, no completion event, nothing made.
    expect(statesEntered(record.history)).toEqual(['NameProvisioning', 'HasRequestProvisioningId', 'ValidateExecutionName']);
    expect(await registered(name)).toBeUndefined();
    expect(readCompletionEvents(stack.store.dir, name)).toEqual([]);
  });

  it('does not check the name when the input names the provisioning (a later attempt, <id>--2, from the console), and then names each bad input field in ValidateInput', async () => {
    const record = await stack.run('byoc-provision', { ...input, provisioningId: 'con-input', projectName: 'Demo', region: 'mars-1' }, { name: 'con-input.retry' });
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    expect(message).toMatch(/^ValidateInput: Invalid request: /);
    for (const field of ['projectName', 'region']) expect(message).toContain(`${field}: `);
    expect(statesEntered(record.history)).not.toContain('ValidateExecutionName');
    expect((await registered('con-input'))?.status).toBe('FAILED');
  });

  it('takes a valid execution name as the provisioning ID, checked once, before the registry write', async () => {
    const record = await stack.run('byoc-provision', { ...input, region: 'mars-1' }, { name: 'con-named_1' });
    expect(record.error).toBe('InvalidInputError');
    expect(statesEntered(record.history).slice(0, 4)).toEqual(['NameProvisioning', 'HasRequestProvisioningId', 'ValidateExecutionName', 'RegisterProvisioning']);
    expect((await registered('con-named_1'))?.status).toBe('FAILED');
  });
});
