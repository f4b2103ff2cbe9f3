import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { openApiYaml, stateMachinesMarkdown } from '../../local/docs';
import { requestSchema } from '../../shared/request';

const docs = join(__dirname, '..', '..', 'docs');

describe('generated docs stay in step with the code', () => {
  it('docs/openapi.yaml is what `npm run docs` generates (run it after changing the API or the schema)', () => {
    expect(readFileSync(join(docs, 'openapi.yaml'), 'utf8')).toBe(openApiYaml());
  });

  it('docs/state-machines.md is what `npm run docs` generates from the ASL files', () => {
    expect(readFileSync(join(docs, 'state-machines.md'), 'utf8')).toBe(stateMachinesMarkdown());
  });

  it('the OpenAPI request schema is the one the code validates with', () => {
    const doc = yaml.load(readFileSync(join(docs, 'openapi.yaml'), 'utf8')) as { components: { schemas: { ProvisioningRequest: unknown } } };
    const { $id: _id, ...schema } = requestSchema;
    expect(doc.components.schemas.ProvisioningRequest).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
