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
import path from "node:path";
import {
  type AndroidSdk,
  createAndroidSdk,
  type ProxmoxStandIn,
  startProxmoxStandIn,
  type TlsCertificate,
  testbed,
} from "@hangar/testbed";
import { appiumBin } from "../plugins/emulator-e2e/test/helpers.ts";

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
    // `appium` and `node` on the SSH user's PATH; APPIUM_HOME the plugin's package, with the fake driver.
    const bin = await appiumBin();
    stops.push(() => bin.remove());
    const vm = await testbed.sshd({ extraConfig: [bin.sshdEnv] });
    if (!vm) throw new Error("the test bed's sshd is unavailable");
    stops.push(() => vm.stop());
    const sdk = await createAndroidSdk({ avds: ["hangar-34-google_apis-x86_64"] });
    stops.push(() => sdk.remove());
    // The guest's host key, as its agent's file-read returns it, is the "VM's" sshd's.
    const pve = await startProxmoxStandIn({
      tls,
      tokenId: TOKEN_ID,
      guestAddress: vm.host,
      guestFiles: { "/etc/ssh/ssh_host_ed25519_key.pub": `${vm.hostPublicKey} root@calchat-e2e\n` },
    });
    stops.push(() => pve.stop());
    return {
      variables: {
        PVE_URL: pve.url,
        PVE_FINGERPRINT: new X509Certificate(tls.certPem).fingerprint256,
        VM_SSH_PUBLIC_KEY: vm.publicKey.trim(),
        VM_USER: vm.username,
        VM_SSH_PORT: String(vm.port),
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
