/** What the dashboard needs to sign a user in at an OpenID provider (GET /v1/partnerusage/sign-in, issue #30). */
export interface SignIn {
  /** The button's "Sign in with …": Microsoft for Entra ID. */
  readonly providerName: string;
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  /** A public client: authorization code with PKCE, no secret. */
  readonly clientId: string;
  readonly scope: string;
}
