import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { changeNote, documentedRequestSchema, openApiYaml, stateMachinesMarkdown, updateRulesMarkdown, withUpdateRulesTable } from '../../local/docs';
import { requestSchema } from '../../shared/request';
import { UPDATE_RULES } from '../../shared/update/plan';

type Node = { description?: string; properties?: Record<string, Node>; 'x-change'?: string; [key: string]: unknown };

/** A documented schema without what the docs add to each field (its `x-change` and the change note of its description). */
function withoutChangeNotes(node: Node): Node {
  const { 'x-change': change, ...rest } = node;
  const out: Node = { ...rest };
  if (change && typeof out.description === 'string') {
    const stripped = out.description.replace(/ ?Change: (in place|needs a replacement) \(.*\)\.$/, '');
    if (stripped) out.description = stripped;
    else delete out.description;
  }
  if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, withoutChangeNotes(v)]));
  return out;
}

const docs = join(__dirname, '..', '..', 'docs');

describe('generated docs stay in step with the code', () => {
  it('docs/openapi.yaml is what `npm run docs` generates (run it after changing the API or the schema)', () => {
    expect(readFileSync(join(docs, 'openapi.yaml'), 'utf8')).toBe(openApiYaml());
  });

  it('docs/state-machines.md is what `npm run docs` generates from the ASL files', () => {
    expect(readFileSync(join(docs, 'state-machines.md'), 'utf8')).toBe(stateMachinesMarkdown());
  });

  it('the OpenAPI request schema is the one the code validates with (plus, on each field, how a change to it is applied)', () => {
    const doc = yaml.load(readFileSync(join(docs, 'openapi.yaml'), 'utf8')) as { components: { schemas: { ProvisioningRequest: Node } } };
    const { $id: _id, ...schema } = requestSchema;
    expect(withoutChangeNotes(doc.components.schemas.ProvisioningRequest)).toEqual(JSON.parse(JSON.stringify(schema)));
    expect(doc.components.schemas.ProvisioningRequest).toEqual(documentedRequestSchema());
  });

  it('the OpenAPI file says for every request field whether a change is in place or a replacement, from UPDATE_RULES', () => {
    const request = documentedRequestSchema();
    for (const [field, rule] of Object.entries(UPDATE_RULES)) {
      const node = field.split('.').reduce<Node>((n, key) => n.properties![key], request);
      expect({ field, change: node['x-change'], note: node.description?.endsWith(changeNote(field)) }).toEqual({ field, change: rule.kind, note: true });
    }
  });

  it('docs/requirements.md lists every request field with how a change is applied, as UPDATE_RULES says (npm run docs writes it)', () => {
    const requirements = readFileSync(join(docs, 'requirements.md'), 'utf8');
    expect(requirements).toContain(updateRulesMarkdown());
    expect(withUpdateRulesTable(requirements)).toBe(requirements);
    for (const field of Object.keys(UPDATE_RULES)) expect(updateRulesMarkdown()).toContain(`| \`${field}\` |`);
  });
});
