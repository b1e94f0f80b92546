import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";

/**
 * Stands in for Entra ID's endpoints inside MSAL's HTTP layer (instance discovery, the tenant's
 * OpenID configuration, the token endpoint); nothing leaves the process. `posts` are the token
 * requests, that is the sign-ins.
 */
export function fakeEntraId(host: string, tenantId: string) {
  const posts: Array<{ url: string; body: URLSearchParams }> = [];
  const gets: string[] = [];
  const reply = <T>(body: unknown): NetworkResponse<T> => ({ status: 200, headers: {}, body: body as T });
  const networkClient: INetworkModule = {
    async sendGetRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
      gets.push(url);
      if (url.includes("/discovery/instance")) {
        return reply<T>({
          tenant_discovery_endpoint: `${host}/${tenantId}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: new URL(host).host, preferred_cache: new URL(host).host, aliases: [new URL(host).host] }],
        });
      }
      return reply<T>({
        token_endpoint: `${host}/${tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${host}/${tenantId}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${host}/${tenantId}/oauth2/v2.0/logout`,
        issuer: `${host}/${tenantId}/v2.0`,
        jwks_uri: `${host}/${tenantId}/discovery/v2.0/keys`,
      });
    },
    async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      posts.push({ url, body: new URLSearchParams(options?.body ?? "") });
      return reply<T>({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: "msal-access-token" });
    },
  };
  return { networkClient, posts, gets };
}
