/** What a token must say to be accepted. */
export const PARTNER_CENTER_AUDIENCE = 'https://api.partnercenter.microsoft.com';

/** The issuer of the tokens the embedded deployment signs; `{tid}` is the partner tenant. */
export const LOCAL_ISSUER = 'https://partner-usage.local/{tid}/';

/** Clock skew tolerated on exp and nbf. */
export const CLOCK_TOLERANCE_SECONDS = 60;
