import { CLOUDS, graphAudiences } from '../../contract/clouds.js';

/** What a token must say to be accepted (the global cloud's; `serve --cloud` picks another). */
export const PARTNER_CENTER_AUDIENCE = CLOUDS.global.partnerCenter;

/** Microsoft Graph's audience, as a URL and as Graph's application id (Entra ID issues either). */
export const GRAPH_AUDIENCES = graphAudiences(CLOUDS.global);

/** The Graph permission the partner billing exports need, as an application role or a delegated scope. */
export const BILLING_PERMISSION = 'PartnerBilling.Read.All';

/** The issuer of the tokens the embedded deployment signs; `{tid}` is the partner tenant. */
export const LOCAL_ISSUER = 'https://partner-usage.local/{tid}/';

/** Clock skew tolerated on exp and nbf. */
export const CLOCK_TOLERANCE_SECONDS = 60;
