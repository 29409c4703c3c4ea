import type { OperationHandlers } from '../operation-routes.js';
import { getCustomerDays, getCustomerView } from './customer-view.js';
import { postLineItems } from './line-ingestion.js';
import { getUnbilledLineItems } from './unbilled-line-items.js';
import { getExport } from './exports.js';
import { getCustomerUsageSummary, getPartnerUsageSummary, getSubscriptionUsageSummary } from './summaries.js';
import { getCustomerUsageSpendingBudget, patchCustomerUsageSpendingBudget } from './usage-budget.js';
import {
  getCustomerUsageRecords,
  getSubscriptionDailyUsageRecords,
  getSubscriptionResourceUsageRecords,
  getSubscriptionUsageRecords,
  getSubscriptionUsageRecordsByMeter,
  getSubscriptionUsageRecordsByResource,
} from './usage-collections.js';
import { getAzureUtilizationRecords } from './utilization.js';
import { getMe } from './me.js';
import { createAccessGrant, deleteAccessGrant, listAccessGrants } from './access.js';
import { createPriceRule, deletePriceRule, getCustomerStatement, getMargins, listPriceRules } from './prices.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listAlerts,
  listDeliveries,
  listWebhookEndpoints,
  replayDelivery,
} from './alerts.js';

/** A handler per operation of the table (src/contract/operations.ts); the compiler checks none is missing. */
export const handlers: OperationHandlers = {
  getUnbilledLineItems,
  getExport,
  getPartnerUsageSummary,
  getCustomerUsageRecords,
  getCustomerUsageSummary,
  getCustomerUsageSpendingBudget,
  patchCustomerUsageSpendingBudget,
  getSubscriptionUsageRecords,
  getSubscriptionUsageSummary,
  getSubscriptionUsageRecordsByMeter,
  getSubscriptionUsageRecordsByResource,
  getSubscriptionResourceUsageRecords,
  getSubscriptionDailyUsageRecords,
  getAzureUtilizationRecords,
  listAlerts,
  listWebhookEndpoints,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listDeliveries,
  replayDelivery,
  getCustomerView,
  getCustomerDays,
  ingestLineItems: postLineItems,
  listPriceRules,
  createPriceRule,
  deletePriceRule,
  getMargins,
  getMe,
  getCustomerStatement,
  listAccessGrants,
  createAccessGrant,
  deleteAccessGrant,
};
