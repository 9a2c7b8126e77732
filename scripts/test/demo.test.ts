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
  it("publishes the image, deploys main and proves it on a throwaway VM's emulator, previews a branch, releases a tag to Gitea and the download site, mails the failing build and keeps its issue until the fix, promotes main to production", async () => {
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
    expect(output).toContain("✔ staging answers: 200 web v1");
    // image-publish: one two-platform index per build, every tag of the policy naming it.
    expect(output).toMatch(
      /✔ calchat\/server:main, :sha-9c4e1f0 → one index sha256:[0-9a-f]{12}… for linux\/amd64 and linux\/arm64/,
    );
    expect(output).toMatch(/✔ calchat\/server:1\.4\.0, :1\.4, :1, :latest → one index sha256:[0-9a-f]{12}…/);
    expect(output).toMatch(/image\s+git\.example\.com\/ci\/image-publish:1\s+success \[set here: tag_type\]/);
    expect(output).toMatch(
      /✔ staging runs calchat-server as 127\.0\.0\.1:\d+\/calchat\/server@sha256:[0-9a-f]{64}$/m,
    );
    // release-site: main in alpha, the tag in stable, each latest.json with the APK's checksum.
    expect(output).toContain("✔ alpha/latest.json names 0.0.0-main.41, with the APK's SHA-256 as built");
    expect(output).toContain("✔ stable/latest.json names 1.4.0, with the APK's SHA-256 as built");
    expect(output).toContain("✔ the download page lists 1.4.0");
    expect(output).toMatch(/downloads\s+git\.example\.com\/ci\/release-site:1\s+success/);
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
    // The promotion of build 41: compose-deploy names it, production answers, staging is untouched.
    expect(output).toContain("✔ compose-deploy says: ");
    expect(output).toMatch(/✔ compose-deploy says: .*\(build 41 promoted to production as build 46\)/);
    expect(output).toMatch(/production\s+git\.example\.com\/ci\/compose-deploy:1\s+success/);
    expect(output).toContain("✔ production answers: 200 web v1");
    // The demo's own checks, not the failing build's log (whose deploy fails on purpose).
    expect(output).not.toMatch(/^ {2}✖ /m);
    expect(ok, output.slice(-4000)).toBe(true);
  }, 1_500_000);
});
