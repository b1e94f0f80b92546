import { z } from "zod";
import { CLOUDS } from "../../policy/src/engine/clouds";
import { quote } from "../../policy/src/engine/errors";
import { containsPrivateKey } from "../../policy/src/engine/secret-shape";

const invalid = (field: string, fix: string) => (issue: { input?: unknown }) =>
  `Invalid value for exchangeOnline.${field}: ${field === "token" ? "(not shown)" : quote(issue.input)}. ${fix}`;

/**
 * How a provider reaches Exchange Online. Passed to the custom resources as one input that the
 * components always wrap in pulumi.secret, so tokens and keys are encrypted in state.
 */
export const ExchangeOnlineConnectionSchema = z
  .object({
    /** Base URL of the admin REST endpoint: https://outlook.office365.com, a sovereign cloud's host, or the local stand-in. */
    endpoint: z
      .url({
        protocol: /^https?$/,
        error: invalid("endpoint", "Give an http(s) URL such as https://outlook.office365.com, or leave it out for the cloud's own"),
      })
      // The components fill in their cloud's endpoint; this default is the worldwide one from the same table.
      .default(CLOUDS.O365Default.adminEndpoint),
    /** A bearer token (the local stand-in accepts any); for real tenants use `app`. */
    token: z
      .string({ error: invalid("token", "Give the bearer token as a string (a secret: config.requireSecret)") })
      .min(1)
      .optional(),
    /** App-only authentication with a certificate (Exchange.ManageAsApp). */
    app: z
      .object({
        /** Directory (tenant) id or initial domain to get the token from; defaults to the connector's tenant. */
        tenantId: z.string().min(1).optional(),
        clientId: z.string().min(1, "exchangeOnline.app.clientId must not be empty"),
        certificatePem: z
          .string()
          .min(1, "exchangeOnline.app.certificatePem must not be empty")
          .refine((pem) => !containsPrivateKey(pem), {
            message:
              "exchangeOnline.app.certificatePem holds a private key. Give the app's certificate (-----BEGIN CERTIFICATE-----) here and its key in privateKeyPem",
          }),
        privateKeyPem: z.string().min(1, "exchangeOnline.app.privateKeyPem must not be empty").refine(containsPrivateKey, {
          message:
            "exchangeOnline.app.privateKeyPem is not a private key (a certificate given as the key?). Give the app's private key (-----BEGIN PRIVATE KEY-----) here and its certificate in certificatePem",
        }),
        /** Entra ID authority host for sovereign clouds, e.g. https://login.microsoftonline.us. */
        authorityHost: z.url().optional(),
      })
      .strict()
      .optional(),
    maxRetries: z
      .number({ error: invalid("maxRetries", "Give a whole number of retries from 0 to 20, e.g. 6") })
      .int({ error: invalid("maxRetries", "Give a whole number of retries from 0 to 20, e.g. 6") })
      .min(0, { error: invalid("maxRetries", "Give a whole number of retries from 0 to 20, e.g. 6") })
      .max(20, { error: invalid("maxRetries", "Give a whole number of retries from 0 to 20, e.g. 6") })
      .default(6),
    retryBudgetMs: z
      .number({ error: invalid("retryBudgetMs", "Give the total retry time in milliseconds, 0 or more, e.g. 120000") })
      .int({ error: invalid("retryBudgetMs", "Give the total retry time in milliseconds, 0 or more, e.g. 120000") })
      .min(0, { error: invalid("retryBudgetMs", "Give the total retry time in milliseconds, 0 or more, e.g. 120000") })
      .default(120_000),
  })
  .strict()
  .refine((value) => value.token !== undefined || value.app !== undefined, {
    message: "exchangeOnline needs either 'token' or 'app' (clientId, certificatePem, privateKeyPem) to authenticate",
  });
export type ExchangeOnlineConnection = z.output<typeof ExchangeOnlineConnectionSchema>;
export type ExchangeOnlineConnectionInput = z.input<typeof ExchangeOnlineConnectionSchema>;
