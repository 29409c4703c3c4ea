import { ApiFault } from './resources.js';
import { operations, type Operation } from './operations.js';

/** The path with its parameters filled in, each percent-encoded; `.` and `..` are refused. */
export function expandPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TypeError(`no value for {${name}} in ${path}`);
    if (value === '' || value === '.' || value === '..')
      throw new TypeError(`not a usable id: ${JSON.stringify(value)}`);
    return encodeURIComponent(value);
  });
}

const faultResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiFault' } } },
});

const TRACING_HEADERS = ['MS-RequestId', 'MS-CorrelationId', 'MS-CV', 'MS-ServerId'];

function operationObject(id: string, o: Operation): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    200: {
      description: 'OK',
      headers: Object.fromEntries(TRACING_HEADERS.map((h) => [h, { schema: { type: 'string' } }])),
      content: o.download
        ? { 'text/csv': { schema: o.response }, 'application/vnd.apache.parquet': { schema: o.response } }
        : { 'application/json': { schema: o.response }, 'text/json': { schema: o.response } },
    },
    400: faultResponse('A parameter or the body is not valid (the description names it).'),
    401: faultResponse('No token, or one that does not verify.'),
    403: faultResponse('An app-only token on a route that needs a user.'),
    404: faultResponse('No such customer or subscription of the caller, or no usage data.'),
    405: faultResponse("Another method: the Allow header lists the route's methods."),
    406: faultResponse('The Accept header allows neither application/json nor text/json.'),
  };
  if (id === 'getAzureUtilizationRecords') {
    responses[204] = {
      description: 'The window is not complete yet: ask again after Retry-After seconds.',
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
    };
  }
  if (o.body) {
    responses[413] = faultResponse('The body is larger than the limit.');
    responses[415] = faultResponse('The body is not application/json.');
  }
  if (o.concurrency !== undefined) {
    responses[503] = {
      ...faultResponse(`${o.concurrency} requests of this kind are being served: ask again after Retry-After seconds.`),
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
    };
  }
  const parameters: unknown[] = [
    ...o.parameters.map((p) => ({
      name: p.name,
      in: p.in,
      required: p.required,
      description: p.description,
      schema: p.schema,
    })),
    ...(o.documentedQuery ?? []).map((p) => ({ ...p, in: 'query' })),
  ];
  if (o.collection) {
    parameters.push(
      {
        name: 'seek_operation',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: ['Next'] },
        description: 'With MS-ContinuationToken: the next page (links.next).',
      },
      {
        name: 'MS-ContinuationToken',
        in: 'header',
        required: false,
        schema: { type: 'string' },
        description: 'The token of links.next.',
      },
    );
  }
  return {
    operationId: id,
    summary: o.summary,
    ...(o.note ? { description: o.note } : {}),
    security: o.auth === 'app+user' ? [{ appUser: [] }] : [{ appUser: [] }, { appOnly: [] }],
    parameters,
    ...(o.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: o.body },
              // NDJSON: one JSON object a line, each as the JSON form's items.
              ...Object.fromEntries((o.otherBodyTypes ?? []).map((t) => [t, { schema: { type: 'string' } }])),
            },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the usage family, generated from the operations table. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, o] of Object.entries(operations) as [string, Operation][]) {
    (paths[o.path] ??= {})[o.method.toLowerCase()] = operationObject(id, o);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'partner-usage — Partner Center Azure usage API',
      version,
      description:
        "Microsoft Partner Center's usage routes as partner-usage serves them; differences are in docs/api.md. Money is a JSON number with every digit.",
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { ApiFault },
      securitySchemes: {
        appUser: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A delegated (App+User) token.' },
        appOnly: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An application (app-only) token.',
        },
      },
    },
  };
}
