import type { Rule } from "../rule";
import { certificateReuse } from "./certificate-reuse";

/** Every rule, in the order findings are reported. */
export const rules: readonly Rule[] = [certificateReuse];
