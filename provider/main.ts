#!/usr/bin/env node
import { main } from "@pulumi/pulumi/provider";
import { captureConfiguration } from "./configure";
import { MailflowProvider } from "./provider";

/**
 * Entry point of the provider plugin `pulumi-resource-mailflow` (plugin/pulumi-resource-mailflow
 * runs it): the engine starts it with its address as the argument.
 *
 * Pulumi's Node.js provider server prints an error from check, diff, read or delete to stderr
 * with its stack trace before it answers the engine, which then shows the message once more.
 * A person needs the message once: the trace of an error this provider raised on purpose is
 * dropped (the engine still shows the message).
 */
const print = console.error.bind(console);
console.error = (...args: unknown[]) => {
  const [first] = args;
  if (args.length === 1 && typeof first === "string" && /^\w*Error: [\s\S]*\n\s+at /.test(first)) {
    print(first.split(/\n\s+at /)[0]?.replace(/: \w*Error: [\s\S]*$/, "") ?? first);
    return;
  }
  print(...args);
};

captureConfiguration();
main(new MailflowProvider(), process.argv.slice(2)).catch((error: unknown) => {
  print(`pulumi-resource-mailflow: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
