import { PolicyPack } from "@pulumi/policy";
import { buildPolicies } from "./pack/policies";

new PolicyPack("mailflow-guard", { policies: buildPolicies() });
