/**
 * The E2E half of the demo: what `e2e-vm`, `e2e` and `e2e-cleanup` of examples/calchat talk to.
 * The Proxmox VE API is the test bed's stand-in, whose guest agent reports a loopback address;
 * behind that address the "VM" is this machine's sshd, with `appium` and `node` on the SSH user's
 * PATH as on a prepared template, and the test bed's stand-in Android SDK (no emulator can boot
 * here). Since that device is a stand-in, the e2e step runs Appium's fake driver on a fake app
 * instead of UiAutomator2 on the APK: the settings that says so are replaced for this run, and
 * the step table marks them.
 */
import { X509Certificate } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type AndroidSdk,
  createAndroidSdk,
  type ProxmoxStandIn,
  startProxmoxStandIn,
  type TlsCertificate,
  testbed,
} from "@hangar/testbed";

const root = path.resolve(import.meta.dirname, "..");
const plugin = path.join(root, "plugins/emulator-e2e");
/** The fake driver's app: CalChat's login screen as @appium/fake-driver describes a UI. */
const FAKE_APP = path.join(plugin, "test/fixtures/calchat.xml");
const TOKEN_ID = "drone@pve!ci";

export interface E2eLab {
  variables: Record<string, string>;
  secrets: Record<string, string>;
  overrides: Record<string, Record<string, unknown>>;
  pve: ProxmoxStandIn;
  sdk: AndroidSdk;
  stop(): Promise<void>;
}

export async function startE2eLab(tls: TlsCertificate): Promise<E2eLab> {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const bin = await mkdtemp(path.join(tmpdir(), "calchat-vm-bin-"));
    stops.push(() => rm(bin, { recursive: true, force: true }));
    const appium = path.join(
      path.dirname(createRequire(path.join(plugin, "package.json")).resolve("appium/package.json")),
      "index.js",
    );
    await writeFile(path.join(bin, "appium"), `#!/bin/sh\nexec '${process.execPath}' '${appium}' "$@"\n`);
    await writeFile(path.join(bin, "node"), `#!/bin/sh\nexec '${process.execPath}' "$@"\n`);
    await chmod(path.join(bin, "appium"), 0o755);
    await chmod(path.join(bin, "node"), 0o755);
    // APPIUM_HOME: the plugin's package, where the fake driver is installed.
    const vm = await testbed.sshd({
      extraConfig: [`SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin APPIUM_HOME=${plugin}`],
    });
    if (!vm) throw new Error("the test bed's sshd is unavailable");
    stops.push(() => vm.stop());
    const sdk = await createAndroidSdk({ avds: ["hangar-34-google_apis-x86_64"] });
    stops.push(() => sdk.remove());
    const pve = await startProxmoxStandIn({ tls, tokenId: TOKEN_ID, guestAddress: vm.host });
    stops.push(() => pve.stop());
    return {
      variables: {
        PVE_URL: pve.url,
        PVE_FINGERPRINT: new X509Certificate(tls.certPem).fingerprint256,
        VM_SSH_PUBLIC_KEY: vm.publicKey.trim(),
        VM_USER: vm.username,
        VM_SSH_PORT: String(vm.port),
        VM_FINGERPRINT: vm.hostKeyFingerprint,
      },
      secrets: { pve_token: pve.tokenSecret, vm_ssh_key: vm.privateKey },
      overrides: {
        e2e: {
          sdk_root: sdk.root,
          appium_drivers: ["fake"],
          capabilities: { platformName: "Fake", "appium:automationName": "Fake", "appium:app": FAKE_APP },
        },
      },
      pve,
      sdk,
      stop: async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}
