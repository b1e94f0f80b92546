export {
  ConfigError,
  EXCHANGE_ONLINE_RANGES,
  type EngineConfig,
  type EngineConfigInput,
  EngineConfigSchema,
  type OrgAssignments,
  OrgAssignmentsSchema,
  resolveConfig,
} from "./config";
export { isWildcard, normalizeDomain, normalizeAddressSpace } from "./domain";
export { InputError, quote } from "./errors";
export { type EvaluateOptions, evaluate } from "./evaluate";
export { describe, type Finding, type Severity } from "./findings";
export { buildIndex, type InventoryIndex } from "./inventory-index";
export { nearest, PackConfigError, type PackPolicy, packPolicies, parsePackConfig, policyNameOf } from "./pack-config";
export { type Ipv4Block, classifySenderAddress, contains, nonPublicBlock, overlaps, parseIpv4Block, type SenderAddress } from "./ipv4";
export { CLOUD_NAMES, CLOUDS, type Cloud, type CloudName, cloudByName, DEFAULT_CLOUD, mailCloudOf } from "./clouds";
export * from "./model";
export type { Draft, Rule, RuleContext } from "./rule";
export { rules } from "./rules";
export { containsPrivateKey, secretShape } from "./secret-shape";
export {
  type CertificateFacts,
  coveringName,
  certificateNames,
  type DistinguishedName,
  windowsDistinguishedName,
  exchangeTlsCertificateName,
  nameCovers,
  parseCertificatePem,
  presentedNames,
} from "./x509";
