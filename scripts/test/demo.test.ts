import { testbed } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { demo, PLUGINS_USED } from "../demo.ts";

// The example repository's .drone.yml, run the way `bash .ci/demo` runs it: if this passes, the
// pipeline in examples/calchat works as written.
const images = [];
for (const plugin of PLUGINS_USED) {
  images.push(await testbed.image(`hangar/${plugin}:dev`));
}

describe.skipIf(images.some((image) => image === undefined))("examples/calchat, run like drone exec", () => {
  it("deploys main and proves it on a throwaway VM's emulator, previews a branch, releases a tag, mails the failing build and keeps its issue until the fix", async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    let ok: boolean;
    try {
      ok = await demo();
    } finally {
      console.log = log;
    }
    const output = lines.join("\n");
    expect(output).toContain("✔ production answers: 200 web v1");
    expect(output).toMatch(/✔ E2E on VM e2e-calchat-server-41 .*: 2 tests in .*junit\.xml, none failed/);
    expect(output).toContain("✔ the VM is destroyed and the emulator stopped");
    // The e2e step's table row says which settings this run replaced for the stand-in device.
    expect(output).toMatch(
      /e2e\s+git\.example\.com\/ci\/emulator-e2e:1\s+success \[set here: sdk_root, appium_drivers, capabilities\]/,
    );
    expect(output).toContain("✔ namespace preview-feature-login-form holds Deployment calchat-server");
    expect(output).toMatch(/✔ release .* with .*calchat-1\.4\.0\.apk/);
    expect(output).toMatch(/✔ release .* with .*sha256sum\.txt/);
    expect(output).toContain('✔ mail "[failure] calchat/server (main - b4d0c0de)"');
    expect(output).toMatch(/✔ issue #1 "CI failing on main" is open/);
    expect(output).toContain("✔ issue #1 closed by build #45");
    // The demo's own checks, not the failing build's log (whose deploy fails on purpose).
    expect(output).not.toMatch(/^ {2}✖ /m);
    expect(ok, output.slice(-4000)).toBe(true);
  }, 900_000);
});
