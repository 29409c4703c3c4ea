/** What a token must say to be accepted. */
export const PARTNER_CENTER_AUDIENCE = 'https://api.partnercenter.microsoft.com';

/** Microsoft Graph's audience, as a URL and as Graph's application id (Entra ID issues either). */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

/** The Graph permission the partner billing exports need, as an application role or a delegated scope. */
export const BILLING_PERMISSION = 'PartnerBilling.Read.All';

/** The issuer of the tokens the embedded deployment signs; `{tid}` is the partner tenant. */
export const LOCAL_ISSUER = 'https://partner-usage.local/{tid}/';

/** Clock skew tolerated on exp and nbf. */
export const CLOCK_TOLERANCE_SECONDS = 60;
