/**
 * partner-usage/sdk — a TypeScript client for Partner Center's usage API, for partner-usage and
 * for Partner Center itself. No server or database code; runs on Node 20+ and in browsers.
 *
 * @example
 * import { PartnerCenter } from 'partner-usage/sdk';
 * const pc = new PartnerCenter({ baseUrl: 'http://127.0.0.1:8787', credential: token });
 * for await (const customer of pc.customers.usageRecords.list({ size: 100 })) {
 *   console.log(customer.name, customer.totalCost.text); // every digit of the exact decimal
 * }
 */
export { JsonDecimal } from '../contract/exact-json.js';
export { CLOUDS, CLOUD_NAMES } from '../contract/clouds.js';
export type { Cloud, CloudName } from '../contract/clouds.js';
export type * from '../contract/resources.js';
export { ApiClient, PARTNER_CENTER_CHINA_URL, PARTNER_CENTER_URL } from './client.js';
export type { ApiResponse, ClientOptions, RequestOptions } from './client.js';
export type { AccessToken, TokenProvider } from './credentials.js';
export * from './errors.js';
export { CollectionRequest, ResourceRequest } from './pagination.js';
export type { ListOptions, Page, ResponseIds } from './pagination.js';
export {
  AzureUtilization,
  Customer,
  Customers,
  CustomerSubscriptions,
  PartnerCenter,
  Subscription,
  UsageBudget,
} from './partner-center.js';
export type { UtilizationQuery } from './partner-center.js';
export { PartnerUsageExtensions } from './extensions.js';
export type { CustomerViewQuery, ItemList } from './extensions.js';
export { operations } from '../contract/operations.js';
export type { Operation, OperationId } from '../contract/operations.js';
export { clientCredentialsCredential, PARTNER_CENTER_SCOPE, refreshTokenCredential } from './entra-credentials.js';
export type { EntraAppOptions, MsalModule } from './entra-credentials.js';
