import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../../functions/api/http';
import { handler as startProvisioning } from '../../functions/api/start-provisioning';
import { handler as listProvisionings } from '../../functions/api/list-provisionings';
import { handler as getProvisioning } from '../../functions/api/get-provisioning';
import { handler as deleteProvisioning } from '../../functions/api/delete-provisioning';
import { handler as updateOidc } from '../../functions/api/update-oidc';
import { handler as checkVpc } from '../../functions/api/check-vpc';
import { handler as validateRequest } from '../../functions/api/validate-request';
import { handler as getHealth } from '../../functions/api/get-health';
import { handler as getTimeline } from '../../functions/api/get-timeline';
import { handler as preflight } from '../../functions/api/preflight';

export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/** One HTTP API route: serverless.yml's `httpApi` event of a function, and that function's handler. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** As in serverless.yml, e.g. `/provisionings/{id}`. */
  path: string;
  /** The function in serverless.yml, and its `handler:` (a test compares both with serverless.yml). */
  functionName: string;
  handlerPath: string;
  handler: RouteHandler;
}

/** The routes of the deployed HTTP API, with the same handlers (a test checks this list against serverless.yml). */
export const ROUTES: Route[] = [
  { method: 'POST', path: '/provisionings', functionName: 'StartProvisioning', handlerPath: 'functions/api/start-provisioning.handler', handler: startProvisioning },
  { method: 'GET', path: '/provisionings', functionName: 'ListProvisionings', handlerPath: 'functions/api/list-provisionings.handler', handler: listProvisionings },
  { method: 'GET', path: '/provisionings/{id}', functionName: 'GetProvisioning', handlerPath: 'functions/api/get-provisioning.handler', handler: getProvisioning },
  { method: 'DELETE', path: '/provisionings/{id}', functionName: 'DeleteProvisioning', handlerPath: 'functions/api/delete-provisioning.handler', handler: deleteProvisioning },
  { method: 'POST', path: '/provisionings/{id}/oidc', functionName: 'UpdateProvisioningOidc', handlerPath: 'functions/api/update-oidc.handler', handler: updateOidc },
  { method: 'GET', path: '/provisionings/{id}/timeline.svg', functionName: 'GetProvisioningTimeline', handlerPath: 'functions/api/get-timeline.handler', handler: getTimeline },
  { method: 'GET', path: '/provisionings/{id}/health', functionName: 'GetProvisioningHealth', handlerPath: 'functions/api/get-health.handler', handler: getHealth },
  { method: 'POST', path: '/preflight', functionName: 'PreflightRequest', handlerPath: 'functions/api/preflight.handler', handler: preflight },
  { method: 'POST', path: '/vpc-checks', functionName: 'CheckVpc', handlerPath: 'functions/api/check-vpc.handler', handler: checkVpc },
  { method: 'POST', path: '/validate', functionName: 'ValidateRequest', handlerPath: 'functions/api/validate-request.handler', handler: validateRequest },
];

/** A route path as a matcher: each `{name}` one non-empty path segment. */
function matcher(path: string): (actual: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
  return (actual) => {
    const m = pattern.exec(actual);
    if (!m) return undefined;
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
  };
}

const MATCHERS = ROUTES.map((route) => ({ route, match: matcher(route.path) }));

/**
 * The route for a method and path: `{ route, pathParameters }`; `{ allow }` (the methods the path has) when only the
 * method is wrong; undefined when no route has the path.
 */
export function findRoute(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | { allow: string[] } | undefined {
  const allow: string[] = [];
  for (const { route, match } of MATCHERS) {
    let params: Record<string, string> | undefined;
    try {
      params = match(path);
    } catch {
      params = undefined; // a malformed %-escape matches nothing
    }
    if (!params) continue;
    if (route.method === method) return { route, pathParameters: params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { allow } : undefined;
}
