import type { FastifyRequest } from 'fastify';

/** A request's query as Fastify parses it (a name given twice: an array). */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The route types Fastify checks an operation's request against: path parameters by position, the raw query. */
export interface OperationRoute {
  Params: Readonly<Record<string, string>>;
  Querystring: Query;
}

/** A request to one of the operations table's routes, its parameters and query typed as Fastify parses them. */
export type OperationFastifyRequest = FastifyRequest<OperationRoute>;
