import type { BuildStatus } from "@hangar/kit";
import type { STATUSES } from "./settings.ts";

export type SendOn = (typeof STATUSES)[number];

export interface SendDecision {
  send: boolean;
  reason: string;
}

/** Whether this build's status is one the step was told to mail about (`on`). */
export function decideSending(
  on: readonly SendOn[],
  status: BuildStatus,
  previous?: BuildStatus,
): SendDecision {
  const known = previous !== undefined && previous !== "unknown";
  const matched: string[] = [];
  if (on.includes("success") && status === "success") matched.push("success");
  if (on.includes("failure") && status === "failure") matched.push("failure");
  if (on.includes("changed") && known && status !== "unknown" && previous !== status) {
    matched.push(`changed from ${previous}`);
  }
  if (on.includes("fixed") && status === "success" && previous === "failure") matched.push("fixed");
  if (matched.length > 0) return { send: true, reason: `the build is ${matched.join(", ")}` };

  const unknownPrevious =
    !known && (on.includes("changed") || on.includes("fixed"))
      ? "; the previous build's status is unknown, so changed/fixed cannot match"
      : "";
  return {
    send: false,
    reason: `the build is ${status}${known ? ` (previously ${previous})` : ""} and \`on\` is ${on.join(", ")}${unknownPrevious}`,
  };
}
