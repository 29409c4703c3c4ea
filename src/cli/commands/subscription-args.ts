/** The positional ids of a command about one subscription. */
export const subscriptionArgs = {
  customer: { type: 'positional', description: 'customer tenant id', required: true },
  subscription: { type: 'positional', description: 'subscription id (for an Azure plan, the plan id)', required: true },
} as const;
