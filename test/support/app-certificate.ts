import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A throw-away self-signed certificate and its RSA key, as an app registration's sign-in
 * certificate would be, written by openssl into `dir` as <name>.crt and <name>.key.
 */
export function appCertificate(dir: string, name: string) {
  const certificateFile = join(dir, `${name}.crt`);
  const privateKeyFile = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      privateKeyFile,
      "-out",
      certificateFile,
      "-days",
      "2",
      "-subj",
      "/CN=mailflow-guard-test-app",
    ],
    { stdio: "ignore" },
  );
  return { certificateFile, privateKeyFile, cert: readFileSync(certificateFile, "utf8"), key: readFileSync(privateKeyFile, "utf8") };
}
