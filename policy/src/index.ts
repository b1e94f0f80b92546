import { PolicyPack } from "@pulumi/policy";
import { installConfigureHook } from "./pack/configure-hook";
import { buildPolicies, configurePack } from "./pack/policies";

// Before the pack starts serving: the whole config file is read, and refused, in one place.
installConfigureHook(configurePack);
new PolicyPack("mailflow-guard", { policies: buildPolicies() });
