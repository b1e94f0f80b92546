import { z } from "zod";
import { CLOUDS } from "../../policy/src/engine/clouds";

/**
 * How a provider reaches Exchange Online. Passed to the custom resources as one input that the
 * components always wrap in pulumi.secret, so tokens and keys are encrypted in state.
 */
export const ExchangeOnlineConnectionSchema = z
  .object({
    /** Base URL of the admin REST endpoint: https://outlook.office365.com, a sovereign cloud's host, or the local stand-in. */
    endpoint: z
      .url({ error: "exchangeOnline.endpoint must be an absolute URL such as https://outlook.office365.com" })
      // The components fill in their cloud's endpoint; this default is the worldwide one from the same table.
      .default(CLOUDS.O365Default.adminEndpoint),
    /** A bearer token (the local stand-in accepts any); for real tenants use `app`. */
    token: z.string().min(1).optional(),
    /** App-only authentication with a certificate (Exchange.ManageAsApp). */
    app: z
      .object({
        /** Directory (tenant) id or initial domain to get the token from; defaults to the connector's tenant. */
        tenantId: z.string().min(1).optional(),
        clientId: z.string().min(1, "exchangeOnline.app.clientId must not be empty"),
        certificatePem: z.string().min(1, "exchangeOnline.app.certificatePem must not be empty"),
        privateKeyPem: z.string().min(1, "exchangeOnline.app.privateKeyPem must not be empty"),
        /** Entra ID authority host for sovereign clouds, e.g. https://login.microsoftonline.us. */
        authorityHost: z.url().optional(),
      })
      .strict()
      .optional(),
    maxRetries: z.number().int().min(0).max(20).default(6),
    retryBudgetMs: z.number().int().min(0).default(120_000),
  })
  .strict()
  .refine((value) => value.token !== undefined || value.app !== undefined, {
    message: "exchangeOnline needs either 'token' or 'app' (clientId, certificatePem, privateKeyPem) to authenticate",
  });
export type ExchangeOnlineConnection = z.output<typeof ExchangeOnlineConnectionSchema>;
export type ExchangeOnlineConnectionInput = z.input<typeof ExchangeOnlineConnectionSchema>;
