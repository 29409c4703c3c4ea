/**
 * Microsoft's clouds a partner can live in: where Partner Center, Graph and Entra ID answer, and
 * what the tokens for them say. Sources: Partner Center's REST URL page ("Partner Center REST URL
 * end points", which gives the US Government cloud the global API) and the endpoint constants
 * of Microsoft's Partner Center PowerShell module; docs/sync.md has the table.
 */
export const CLOUD_NAMES = ['global', 'usgov', 'china'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

export interface Cloud {
  readonly name: CloudName;
  /** Partner Center's API root, which is also the audience (resource) of its tokens. */
  readonly partnerCenter: string;
  /** Microsoft Graph's root and the audience of its tokens. */
  readonly graph: string;
  /** Entra ID's root (the token endpoint is `<authority>/<tenant>/oauth2/v2.0/token`). */
  readonly authority: string;
}

/** Microsoft Graph's application id: Entra ID writes it as the audience of some Graph tokens. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
  global: {
    name: 'global',
    partnerCenter: 'https://api.partnercenter.microsoft.com',
    graph: 'https://graph.microsoft.com',
    authority: 'https://login.microsoftonline.com',
  },
  usgov: {
    name: 'usgov',
    partnerCenter: 'https://api.partnercenter.microsoft.com',
    graph: 'https://graph.microsoft.us',
    authority: 'https://login.microsoftonline.us',
  },
  china: {
    name: 'china',
    partnerCenter: 'https://partner.partnercenterapi.microsoftonline.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    authority: 'https://login.chinacloudapi.cn',
  },
};

/** The cloud of a name (any case; none: global), or a RangeError naming the ones there are. */
export function cloudNamed(name: string | undefined): Cloud {
  const key = (name ?? 'global').trim().toLowerCase();
  const cloud = CLOUD_NAMES.find((n) => n === key);
  if (!cloud) throw new RangeError(`the cloud must be ${CLOUD_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  return CLOUDS[cloud];
}

/** The `.default` scope of Graph's or Partner Center's API in a cloud: what an app asks Entra ID for. */
export function defaultScope(api: 'graph' | 'partner-center', cloud: CloudName = 'global'): string {
  const { graph, partnerCenter } = CLOUDS[cloud];
  return `${api === 'graph' ? graph : partnerCenter}/.default`;
}

/** The audiences a Graph token of `cloud` may carry: Graph's root or its application id. */
export function graphAudiences(cloud: Cloud): string[] {
  return [cloud.graph, GRAPH_APP_ID];
}
