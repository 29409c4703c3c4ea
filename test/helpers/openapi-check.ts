import { Ajv, type ValidateFunction } from 'ajv';
import { openApiDocument } from '../../src/contract/openapi.js';

interface Route {
  readonly pattern: RegExp;
  readonly method: string;
  readonly validate: ValidateFunction;
}

const document = openApiDocument('test') as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: { ApiFault: object } };
};
const ajv = new Ajv({ allErrors: true, strict: false });
const fault = ajv.compile(document.components.schemas.ApiFault);
const routes: Route[] = [];
for (const [path, methods] of Object.entries(document.paths)) {
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i');
  for (const [method, op] of Object.entries(methods)) {
    const json = op.responses['200']!.content!['application/json'];
    if (!json) continue; // a file (the exports): not JSON to check
    routes.push({
      pattern,
      method: method.toUpperCase(),
      validate: ajv.compile(json.schema),
    });
  }
}

/**
 * Checks a response against the generated OpenAPI document: a 200 against its operation's
 * schema, an error against ApiFault. Throws with ajv's errors when it does not conform.
 */
export function assertConforms(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url, 'http://x').pathname;
  if (status === 204) return;
  if (status >= 400) {
    if (!fault(body)) throw new Error(`${method} ${path} ${status}: not an ApiFault: ${JSON.stringify(fault.errors)}`);
    return;
  }
  const route = routes.find((r) => r.method === method && r.pattern.test(path));
  if (!route) throw new Error(`${method} ${path}: no operation in the OpenAPI document`);
  if (!route.validate(body)) {
    throw new Error(
      `${method} ${path}: the body does not conform: ${JSON.stringify(route.validate.errors?.slice(0, 3))}`,
    );
  }
}
