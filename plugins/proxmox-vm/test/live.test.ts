import { tempWorkspace } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { runProxmoxVm } from "./helpers.ts";

// Opt-in: against a real Proxmox VE when PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET and
// PROXMOX_TEMPLATE (a template with cloud-init and the guest agent) are set; PROXMOX_FINGERPRINT
// or PROXMOX_CA_CERT when the node keeps its own certificate. It creates one VM, then destroys it.
const url = process.env.PROXMOX_URL;
const tokenId = process.env.PROXMOX_TOKEN_ID;
const secret = process.env.PROXMOX_TOKEN_SECRET;
const template = process.env.PROXMOX_TEMPLATE;

describe.skipIf(!url || !tokenId || !secret || !template)(
  "proxmox-vm against a real Proxmox VE (PROXMOX_URL)",
  () => {
    it("creates a VM with an address, then destroys it", { timeout: 900_000 }, async () => {
      const workspace = await tempWorkspace("proxmox-vm");
      const env: Record<string, string> = {
        CI: "true",
        DRONE: "true",
        DRONE_REPO: "hangar/live",
        DRONE_REPO_NAME: "live",
        DRONE_BUILD_NUMBER: String(Date.now() % 100_000),
        PLUGIN_URL: url ?? "",
        PLUGIN_TOKEN_ID: tokenId ?? "",
        PLUGIN_TOKEN_SECRET: secret ?? "",
        PLUGIN_TEMPLATE: template ?? "",
        ...(process.env.PROXMOX_FINGERPRINT ? { PLUGIN_FINGERPRINT: process.env.PROXMOX_FINGERPRINT } : {}),
        ...(process.env.PROXMOX_CA_CERT ? { PLUGIN_CA_CERT: process.env.PROXMOX_CA_CERT } : {}),
        ...(process.env.PROXMOX_NODE ? { PLUGIN_NODE: process.env.PROXMOX_NODE } : {}),
      };
      try {
        const created = await runProxmoxVm(env, workspace.dir);
        expect(created.code, created.output).toBe(0);
        expect(created.output).not.toContain(secret);
        expect(created.output).toMatch(/has address \d+\.\d+\.\d+\.\d+/);
      } finally {
        const destroyed = await runProxmoxVm({ ...env, PLUGIN_ACTION: "destroy" }, workspace.dir);
        expect(destroyed.code, destroyed.output).toBe(0);
        await workspace.remove();
      }
    });
  },
);
