import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness";

/** The root project's demo tenants and stack config, for end-to-end tests against the stand-ins. */
export const TENANTS = {
  "contoso.onmicrosoft.com": {
    acceptedDomains: ["contoso.com", "relay.contoso.com", "contoso.onmicrosoft.com", "s5hg3dcg.smtp.vendor.example"],
  },
  "fabrikam.onmicrosoft.com": { acceptedDomains: ["fabrikam.com", "relay.fabrikam.com", "fabrikam.onmicrosoft.com"] },
  "tailspintoys.onmicrosoft.com": { acceptedDomains: ["tailspintoys.com", "relay.tailspintoys.com", "tailspintoys.onmicrosoft.com"] },
};

/** Pulumi.demo.yaml, pointed at this test's server and shell; `edit` changes one thing. */
export function stackConfig(endpoint: string, edit: (yaml: string) => string = (yaml) => yaml): string {
  const demo = readFileSync(join(ROOT, "Pulumi.demo.yaml"), "utf8");
  return edit(
    demo
      .replace("mailflow-guard:exchangeOnlineEndpoint: http://127.0.0.1:18710", `mailflow-guard:exchangeOnlineEndpoint: ${endpoint}`)
      .replace(
        "- dist/local-exchange-online/fake-exchange-shell.js",
        `- ${join(ROOT, "dist/local-exchange-online/fake-exchange-shell.js")}`,
      )
      .replaceAll("certificateFile: examples/", `certificateFile: ${ROOT}/examples/`),
  );
}
