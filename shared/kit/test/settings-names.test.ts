import { describe, expect, it } from "vitest";
import { closestName, envNameOf, normaliseName } from "../src/settings/names.ts";

describe("normaliseName", () => {
  it("brings Drone's and Woodpecker's spellings of a key together", () => {
    expect(normaliseName("FROM.ADDRESS")).toBe("FROM_ADDRESS");
    expect(normaliseName("from_address")).toBe("FROM_ADDRESS");
    expect(normaliseName("skip-verify")).toBe("SKIP_VERIFY");
  });

  it("gives the Drone variable for a setting", () => {
    expect(envNameOf("from.address")).toBe("PLUGIN_FROM.ADDRESS");
  });
});

describe("closestName", () => {
  const known = ["recipients", "from.address", "smtp_host", "port"];

  it("suggests the known name a typo is closest to, in either spelling", () => {
    expect(closestName("recipents", known)).toBe("recipients");
    expect(closestName("from_adress", known)).toBe("from.address");
    expect(closestName("smtp-hots", known)).toBe("smtp_host");
    expect(closestName("prot", known)).toBe("port");
  });

  it("suggests nothing when no name is close", () => {
    expect(closestName("kubeconfig", known)).toBeUndefined();
    expect(closestName("anything", [])).toBeUndefined();
  });
});
