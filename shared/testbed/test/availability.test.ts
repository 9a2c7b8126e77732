import { afterEach, describe, expect, it, vi } from "vitest";
import {
  requireServer,
  type SkipContext,
  serverFixture,
  TestbedUnavailableError,
  testbedPolicy,
} from "../src/availability.ts";
import { findBinary } from "../src/binaries.ts";

const missing = () =>
  Promise.reject(
    new TestbedUnavailableError("a pretend server", "pretendd is not installed", "pretend-server"),
  );

function captureStderr(): { text: () => string } {
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  return { text: () => spy.mock.calls.map((call) => String(call[0])).join("") };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("testbedPolicy", () => {
  it.each([
    [{}, "optional"],
    [{ CI: "" }, "optional"],
    [{ CI: "false" }, "optional"],
    [{ CI: "0" }, "optional"],
    [{ CI: "true" }, "require"],
    [{ CI: "woodpecker" }, "require"],
    [{ HANGAR_TESTBED: "require" }, "require"],
    [{ HANGAR_TESTBED: "optional", CI: "true" }, "optional"],
    [{ HANGAR_TESTBED: " Require " }, "require"],
  ])("%j → %s", (env, policy) => {
    expect(testbedPolicy(env)).toBe(policy);
  });

  it("names the accepted values for an unknown HANGAR_TESTBED", () => {
    expect(() => testbedPolicy({ HANGAR_TESTBED: "maybe" })).toThrow(
      /"maybe".*"require", "optional" or unset/,
    );
  });
});

describe("requireServer", () => {
  it("returns the started server", async () => {
    await expect(requireServer("x", async () => 42, {})).resolves.toBe(42);
  });

  it("fails under CI, naming the server, the package and the setup command", async () => {
    const attempt = requireServer("a pretend server", missing, { CI: "true" });
    await expect(attempt).rejects.toThrow(
      /a pretend server is required here.*pretendd is not installed.*pretend-server.*bash \.ci\/setup/s,
    );
  });

  it("fails for a server that cannot start, not just a missing one", async () => {
    const broken = () => Promise.reject(new Error("sshd exited with code 255"));
    await expect(requireServer("sshd", broken, { HANGAR_TESTBED: "require" })).rejects.toThrow(
      /exited with code 255/,
    );
  });

  it("skips loudly on a developer's machine", async () => {
    const stderr = captureStderr();
    await expect(requireServer("a pretend server", missing, {})).resolves.toBeUndefined();
    expect(stderr.text()).toMatch(/╔═+╗/);
    expect(stderr.text()).toContain("SKIPPING the tests that need a pretend server");
    expect(stderr.text()).toContain("Debian package pretend-server");
    expect(stderr.text()).toContain("bash .ci/setup");
  });

  it("skips when HANGAR_TESTBED=optional even under CI", async () => {
    captureStderr();
    await expect(
      requireServer("another pretend server", missing, { CI: "true", HANGAR_TESTBED: "optional" }),
    ).resolves.toBeUndefined();
  });
});

describe("serverFixture", () => {
  const context: SkipContext = {
    skip(note) {
      throw new Error(`skipped: ${note}`);
    },
  };

  it("hands out the running server and stops it", async () => {
    const stop = vi.fn(async () => {});
    const fixture = serverFixture("x", async () => ({ port: 1, stop }));
    expect(() => fixture.get(context)).toThrow(/beforeAll\(fixture.setup\)/);
    await fixture.setup();
    expect(fixture.get(context).port).toBe(1);
    await fixture.teardown();
    expect(stop).toHaveBeenCalledOnce();
    expect(fixture.server).toBeUndefined();
  });

  it("skips the test when the server is unavailable and skipping is allowed", async () => {
    vi.stubEnv("HANGAR_TESTBED", "optional");
    captureStderr();
    const fixture = serverFixture("a pretend server", missing);
    await fixture.setup();
    expect(() => fixture.get(context)).toThrow("skipped: a pretend server is not available on this machine");
    await fixture.teardown();
  });

  it("fails setup when the server is required", async () => {
    vi.stubEnv("HANGAR_TESTBED", "require");
    await expect(serverFixture("a pretend server", missing).setup()).rejects.toThrow(/required here/);
  });
});

describe("findBinary", () => {
  it("finds programs on PATH and in sbin", () => {
    expect(findBinary("shell", "sh", "dash")).toMatch(/\/sh$/);
    expect(findBinary("shell", "/bin/sh", "dash")).toBe("/bin/sh");
  });

  it("names the Debian package of a missing program", () => {
    expect(() => findBinary("a pretend server", "hangar-no-such-program", "pretend-server")).toThrow(
      TestbedUnavailableError,
    );
    expect(() =>
      findBinary("a pretend server", "/usr/sbin/hangar-no-such-program", "pretend-server"),
    ).toThrow(/hangar-no-such-program is not installed \(Debian package pretend-server/);
  });
});
