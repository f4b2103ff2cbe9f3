// Types for the local Serverless plugin published-versions.js (plain CommonJS: the framework requires it as is).
type Resource = { Type: string; Properties?: Record<string, unknown>; [attribute: string]: unknown };

export interface Rewrite {
  stateMachine: string;
  key: string;
  function: string;
  version: string;
}

/** Rewrite, in place, every state machine's DefinitionSubstitutions that names a function of the template to that function's published version. */
export function pinToPublishedVersions(template: { Resources?: Record<string, Resource> }): Rewrite[];

declare class PublishedVersionsPlugin {
  constructor(serverless: unknown, options: unknown, utils?: { log?: { verbose(message: string): void } });
  hooks: Record<string, () => void>;
  pin(): void;
}
export default PublishedVersionsPlugin;
