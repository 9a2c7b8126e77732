import { describe, expect, it } from "vitest";
import { decideSending } from "../src/when.ts";

describe("when to send (`on`)", () => {
  const all = ["success", "failure", "changed", "fixed"] as const;

  it("sends on every status by default", () => {
    expect(decideSending(all, "success").send).toBe(true);
    expect(decideSending(all, "failure").send).toBe(true);
  });

  it("skips a green build when only failures are wanted, and says why", () => {
    const decision = decideSending(["failure"], "success", "success");
    expect(decision.send).toBe(false);
    expect(decision.reason).toContain("the build is success");
  });

  it("sends on a change of status and on a fix, given the previous status", () => {
    expect(decideSending(["changed"], "failure", "success")).toEqual({
      send: true,
      reason: "the build is changed from success",
    });
    expect(decideSending(["changed"], "success", "success").send).toBe(false);
    expect(decideSending(["fixed"], "success", "failure").send).toBe(true);
    expect(decideSending(["fixed"], "failure", "failure").send).toBe(false);
  });

  it("cannot match changed or fixed without the previous status, and says so", () => {
    const decision = decideSending(["changed", "fixed"], "success", undefined);
    expect(decision.send).toBe(false);
    expect(decision.reason).toContain("previous build's status is unknown");
  });
});
