/**
 * The Microsoft 365 clouds whose Exchange Online a tenant can live in, by the names Exchange admins
 * already type into `Connect-ExchangeOnline -ExchangeEnvironmentName`. Every Microsoft host the
 * product generates or recognises (smart host, TLS domain, routing domain, admin endpoint, token
 * authority, DNSSEC MX) comes from this one table. Sources, per value:
 *
 * - Environment names: Connect-ExchangeOnline, -ExchangeEnvironmentName
 *   https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline
 * - Admin endpoints and token authorities: microsoft/CSS-Exchange
 *   Shared/AzureFunctions/Get-CloudServiceEndpoint.ps1 (outlook.office365.us, outlook-dod.office365.us,
 *   partner.outlook.cn; login.microsoftonline.us, login.partner.microsoftonline.cn) and the
 *   Connect-ExchangeOnline page (ConnectionUri / AzureADAuthorizationEndpointUri examples).
 * - Tenant suffixes: microsoft/CSS-Exchange Hybrid/ConfigureExchangeHybridApplication/
 *   ConfigureExchangeHybridApplication.ps1 (initial cloud domains onmicrosoft.com,
 *   partner.onmschina.cn, onmicrosoft.us).
 * - Worldwide and GCC mail hosts: HCW's Send Connector (smart host <domain>.mail.protection.outlook.com,
 *   TlsDomain mail.protection.outlook.com, address space <tenant>.mail.onmicrosoft.com),
 *   https://learn.microsoft.com/exchange/hybrid-deployment/hybrid-configuration-wizard.
 * - GCC High / DoD MX <domain>.mail.protection.office365.us:
 *   https://learn.microsoft.com/microsoft-365/enterprise/dns-records-for-office-365-gcc-high and
 *   .../dns-records-for-office-365-dod; routing domain <tenant>.mail.onmicrosoft.us and
 *   *.usgovcloud-mx.microsoft: https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-u-s-government-gcc-high-endpoints
 *   and .../microsoft-365-u-s-government-dod-endpoints.
 * - 21Vianet MX <domain-key>.mail.protection.partner.outlook.cn: Microsoft 365 operated by 21Vianet
 *   DNS set-up pages (https://learn.microsoft.com/microsoft-365/admin/services-in-china/);
 *   Exchange's own trusted-partner table lists "CN=*.mail.protection.partner.outlook.cn". The routing
 *   domain <tenant>.mail.partner.onmschina.cn is taken from public tooling, not a Microsoft page
 *   (docs/limits.md).
 * - DNSSEC MX <domain>.<id>.mx.microsoft (MC1048624): Enable-DnssecForVerifiedDomain,
 *   https://learn.microsoft.com/powershell/module/exchange/enable-dnssecforverifieddomain
 */

export const CLOUD_NAMES = ["O365Default", "O365USGovGCCHigh", "O365USGovDoD", "O365China"] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];
export const DEFAULT_CLOUD: CloudName = "O365Default";

export interface Cloud {
  readonly name: CloudName;
  /** Who uses it, for messages. */
  readonly description: string;
  /** Initial-domain suffix of its tenants: contoso.<tenantSuffix>. */
  readonly tenantSuffix: string;
  /** HCW's hybrid routing domain suffix: contoso.<routingSuffix>. */
  readonly routingSuffix: string;
  /** Suffix of a domain's inbound mail host: contoso-com.<smartHostSuffix>. */
  readonly smartHostSuffix: string;
  /** TlsDomain a DomainValidation Send Connector validates. */
  readonly tlsDomain: string;
  /** Suffix of the DNSSEC-enabled MX hosts (MC1048624): contoso-com.<id>.<mxSuffix>; none where unpublished. */
  readonly mxSuffix?: string;
  /** Exchange Online admin REST service root. */
  readonly adminEndpoint: string;
  /** Entra ID authority host for app-only tokens. */
  readonly authorityHost: string;
}

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
  O365Default: {
    name: "O365Default",
    description: "Microsoft 365 worldwide and GCC",
    tenantSuffix: "onmicrosoft.com",
    routingSuffix: "mail.onmicrosoft.com",
    smartHostSuffix: "mail.protection.outlook.com",
    tlsDomain: "mail.protection.outlook.com",
    mxSuffix: "mx.microsoft",
    adminEndpoint: "https://outlook.office365.com",
    authorityHost: "https://login.microsoftonline.com",
  },
  O365USGovGCCHigh: {
    name: "O365USGovGCCHigh",
    description: "Microsoft 365 GCC High",
    tenantSuffix: "onmicrosoft.us",
    routingSuffix: "mail.onmicrosoft.us",
    smartHostSuffix: "mail.protection.office365.us",
    tlsDomain: "mail.protection.office365.us",
    mxSuffix: "usgovcloud-mx.microsoft",
    adminEndpoint: "https://outlook.office365.us",
    authorityHost: "https://login.microsoftonline.us",
  },
  O365USGovDoD: {
    name: "O365USGovDoD",
    description: "Microsoft 365 DoD",
    tenantSuffix: "onmicrosoft.us",
    routingSuffix: "mail.onmicrosoft.us",
    smartHostSuffix: "mail.protection.office365.us",
    tlsDomain: "mail.protection.office365.us",
    mxSuffix: "usgovcloud-mx.microsoft",
    adminEndpoint: "https://outlook-dod.office365.us",
    authorityHost: "https://login.microsoftonline.us",
  },
  O365China: {
    name: "O365China",
    description: "Microsoft 365 operated by 21Vianet",
    tenantSuffix: "partner.onmschina.cn",
    routingSuffix: "mail.partner.onmschina.cn",
    smartHostSuffix: "mail.protection.partner.outlook.cn",
    tlsDomain: "mail.protection.partner.outlook.cn",
    adminEndpoint: "https://partner.outlook.cn",
    authorityHost: "https://login.partner.microsoftonline.cn",
  },
};

/** The cloud by its Connect-ExchangeOnline name, case-insensitively. */
export function cloudByName(name: string): Cloud | undefined {
  const found = CLOUD_NAMES.find((candidate) => candidate.toLowerCase() === name.trim().toLowerCase());
  return found ? CLOUDS[found] : undefined;
}

/**
 * The clouds whose tenants carry this initial domain's suffix (GCC High and DoD share
 * onmicrosoft.us and every mail host, so mail-flow rules may take the first).
 */
export function cloudsOfTenant(tenant: string): Cloud[] {
  const name = tenant.toLowerCase();
  return CLOUD_NAMES.map((cloud) => CLOUDS[cloud]).filter((cloud) => name.endsWith(`.${cloud.tenantSuffix}`));
}

/** The cloud whose mail hosts serve this tenant; worldwide for a name without a known suffix. */
export function mailCloudOf(tenant: string): Cloud {
  return cloudsOfTenant(tenant)[0] ?? CLOUDS.O365Default;
}

/** The tenant's name without its cloud suffix: contoso.onmicrosoft.us -> contoso. */
export function tenantPrefix(tenant: string, cloud: Cloud): string {
  return tenant.endsWith(`.${cloud.tenantSuffix}`) ? tenant.slice(0, -(cloud.tenantSuffix.length + 1)) : tenant;
}

/**
 * Exchange Online's inbound host for a tenant or one of its accepted domains, in the tenant's cloud:
 * contoso.onmicrosoft.com -> contoso.mail.protection.outlook.com; contoso.com (a GCC High tenant's
 * accepted domain) -> contoso-com.mail.protection.office365.us.
 */
export function smartHostFor(domain: string, cloud: Cloud): string {
  return `${tenantPrefix(domain, cloud).replaceAll(".", "-")}.${cloud.smartHostSuffix}`;
}

/** HCW's routing domain for a tenant: contoso.onmicrosoft.us -> contoso.mail.onmicrosoft.us. */
export function routingDomainFor(tenant: string, cloud: Cloud = mailCloudOf(tenant)): string | undefined {
  return tenant.endsWith(`.${cloud.tenantSuffix}`) ? `${tenantPrefix(tenant, cloud)}.${cloud.routingSuffix}` : undefined;
}

/** Every cloud's mail-host forms, for recognising a smart host or address space in any export. */
const DISTINCT_MAIL_CLOUDS = [CLOUDS.O365Default, CLOUDS.O365USGovGCCHigh, CLOUDS.O365China];

/**
 * The host-name prefix of a Microsoft inbound mail host and the cloud it belongs to:
 * contoso-com.mail.protection.outlook.com and contoso-com.j-v1.mx.microsoft both give "contoso-com".
 */
export function mailHostPrefix(host: string): { prefix: string; cloud: Cloud } | undefined {
  const name = host.toLowerCase();
  for (const cloud of DISTINCT_MAIL_CLOUDS) {
    const protection = `.${cloud.smartHostSuffix}`;
    if (name.endsWith(protection) && name.length > protection.length) {
      const prefix = name.slice(0, -protection.length);
      if (!prefix.includes(".")) return { prefix, cloud };
    }
    if (cloud.mxSuffix !== undefined) {
      // <domain-with-hyphens>.<routing label>.mx.microsoft
      const labels = name.split(".");
      const suffixLabels = cloud.mxSuffix.split(".").length;
      if (labels.length === suffixLabels + 2 && name.endsWith(`.${cloud.mxSuffix}`)) return { prefix: labels[0] as string, cloud };
    }
  }
  return undefined;
}

/**
 * One key for "this domain's Exchange Online inbound host" and "the host this smart host names":
 * contoso.com (worldwide) and both contoso-com.mail.protection.outlook.com and its DNSSEC MX
 * contoso-com.<id>.mx.microsoft give the same key, so a lookup built from domains finds either.
 */
export function mailHostKey(domain: string, cloud: Cloud): string {
  const host = smartHostFor(domain, cloud);
  return `${cloud.smartHostSuffix} ${host.slice(0, host.indexOf("."))}`;
}

/** The mailHostKey a smart host names, or undefined when it is none of Exchange Online's inbound hosts. */
export function mailHostKeyOf(host: string): string | undefined {
  const mail = mailHostPrefix(host);
  return mail === undefined ? undefined : `${mail.cloud.smartHostSuffix} ${mail.prefix}`;
}

/** The tenant prefix of a hybrid routing domain in any cloud: contoso.mail.onmicrosoft.us -> contoso (GCC High/DoD). */
export function routingDomainTenant(domain: string): string | undefined {
  const name = domain.toLowerCase();
  for (const cloud of DISTINCT_MAIL_CLOUDS) {
    const suffix = `.${cloud.routingSuffix}`;
    if (name.endsWith(suffix) && name.length > suffix.length) return `${name.slice(0, -suffix.length)}.${cloud.tenantSuffix}`;
  }
  return undefined;
}

/** True when the host is one of Exchange Online's inbound mail hosts in any cloud. */
export function isExchangeOnlineMailHost(host: string): boolean {
  return mailHostPrefix(host) !== undefined;
}
