import { createServer, type Server, connect as tcpConnect } from "node:net";
import {
  freePort,
  LOOPBACK,
  run,
  type Sshd,
  startHostileServer,
  startProxmoxWithLoopbackGuests,
  testbed,
  waitUntil,
} from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { clones, outputs, perTestPve } from "./helpers.ts";

/**
 * `wait_ssh` against OpenSSH's sshd on loopback: the stand-in's guests report 127.0.0.1 on net0,
 * and `ssh_port` points the wait at the test bed's sshd, which stands for the guest's own.
 */

const sshd = await testbed.sshd();

/**
 * A "guest" whose sshd comes up late: its `port` forwards to the real sshd from `afterMs` on;
 * `opened` tells when that was.
 */
async function lateGuest(
  target: number,
  afterMs: number,
): Promise<{ port: number; opened: Promise<number>; stop: () => Promise<void> }> {
  const port = await freePort();
  let server: Server | undefined;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = tcpConnect({ host: LOOPBACK, port: target });
        client.pipe(upstream).pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      server.once("error", reject);
      server.listen({ host: LOOPBACK, port }, () => resolve());
    });
  const opening = new Promise<void>((resolve) => setTimeout(resolve, afterMs)).then(open);
  return {
    port,
    opened: opening.then(() => Date.now()),
    stop: async () => {
      await opening.catch(() => undefined);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

const bed = perTestPve(undefined, { start: startProxmoxWithLoopbackGuests });
const { workspace } = bed;

describe.skipIf(!sshd)("proxmox-vm wait_ssh against a real sshd", () => {
  const server = sshd as Sshd;
  afterAll(() => sshd?.stop());

  it("start waits for SSH too: a VM started again is handed on only once its sshd answers", async () => {
    bed.pve.addVm({ vmid: 320, name: "e2e-restart", tags: ["hangar"] });
    const guest = await lateGuest(server.port, 1500);
    const { port, opened } = guest;
    try {
      const run = await bed.run({
        PLUGIN_ACTION: "start",
        PLUGIN_VMID: "320",
        PLUGIN_WAIT_SSH: "true",
        PLUGIN_SSH_PORT: String(port),
        PLUGIN_TIMEOUT: "30s",
      });
      const finished = Date.now();
      expect(run.code, run.output).toBe(0);
      expect(finished).toBeGreaterThan(await opened);
      expect(run.output).toContain(`VM 320 (e2e-restart) answers SSH on 127.0.0.1:${port} (SSH-2.0-OpenSSH`);
      expect((await outputs(workspace.dir)).PROXMOX_VM_IP).toBe(LOOPBACK);
    } finally {
      await guest.stop();
    }
  });

  it("create → SSH to the guest at PROXMOX_VM_IP → destroy: the step ends once sshd answers", async () => {
    const count = (line: string) => server.logs().split(line).length - 1;
    const [connections, brokenOff, leftPolitely] = [
      count("Connection from 127.0.0.1"),
      count("kex_exchange_identification"),
      count("[preauth]"),
    ];
    const created = await bed.run({ PLUGIN_WAIT_SSH: "true", PLUGIN_SSH_PORT: String(server.port) });
    expect(created.code, `${created.output}\n${server.logs()}`).toBe(0);
    const ip = (await outputs(workspace.dir)).PROXMOX_VM_IP ?? "";
    // The agent also lists lo with 127.0.0.1; the address published is net0's (its MAC).
    expect(ip).toBe(LOOPBACK);
    expect(created.output).toContain(
      `VM 100 (ci-acme-calchat-42) answers SSH on 127.0.0.1:${server.port} (SSH-2.0-OpenSSH`,
    );

    // The next step of the pipeline logs in at the published address, host key checked.
    const args = server.sshArgs().slice(0, -1);
    const login = await run("ssh", [...args, `${server.username}@${ip}`, "echo", "guest-ok"]);
    expect(login.stdout.trim()).toBe("guest-ok");
    // The probe reached sshd itself and said goodbye in SSH's own terms: no broken-off
    // identification in the guest's log, no login attempt. (sshd's log arrives on its own time.)
    await waitUntil(
      "sshd to log the probe and the login",
      async () => count("Connection from 127.0.0.1") >= connections + 2 && count("[preauth]") > leftPolitely,
      { timeoutMs: 10_000 },
    ).catch(() => undefined);
    expect(count("Connection from 127.0.0.1"), server.logs()).toBeGreaterThanOrEqual(connections + 2);
    expect(count("[preauth]"), server.logs()).toBeGreaterThan(leftPolitely);
    expect(count("kex_exchange_identification"), server.logs()).toBe(brokenOff);
    expect(server.logs()).not.toMatch(/Failed|Invalid user|invalid format/);

    const destroyed = await bed.run({ PLUGIN_ACTION: "destroy" });
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(clones(bed.pve)).toEqual([]);
    expect(bed.pve.problems()).toEqual([]);
  });

  it("waits for a guest whose sshd comes up after the agent reported the address", async () => {
    const guest = await lateGuest(server.port, 1500);
    const { port, opened } = guest;
    try {
      const run = await bed.run({
        PLUGIN_WAIT_SSH: "true",
        PLUGIN_SSH_PORT: String(port),
        PLUGIN_TIMEOUT: "30s",
      });
      const finished = Date.now();
      expect(run.code, run.output).toBe(0);
      const openedAt = await opened;
      expect(finished).toBeGreaterThan(openedAt);
      // Noticed within one poll interval (at most 3 s) of sshd coming up, plus the rest of the run.
      expect(finished - openedAt).toBeLessThan(3000 + 2000);
      expect(run.output).toContain(`answers SSH on 127.0.0.1:${port} (SSH-2.0-OpenSSH`);
      expect(clones(bed.pve)).toHaveLength(1);
    } finally {
      await guest.stop();
    }
  });
});

describe("proxmox-vm wait_ssh where SSH never answers", () => {
  it("a port that accepts but never sends the SSH banner: fails naming timeout and what to check, and destroys the clone", async () => {
    // A port forward with no guest behind it: the connection opens, nothing speaks.
    const hole = await startHostileServer({ mode: "black-hole" });
    try {
      const started = Date.now();
      const run = await bed.run({
        PLUGIN_WAIT_SSH: "true",
        PLUGIN_SSH_PORT: String(hole.port),
        PLUGIN_TIMEOUT: "3s",
      });
      expect(run.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(3000 + 5000);
      expect(run.stderr).toContain(
        `VM 100 (ci-acme-calchat-42) did not answer SSH on 127.0.0.1:${hole.port} within timeout (3s)`,
      );
      expect(run.stderr).toContain(`port ${hole.port} accepts connections but sends no SSH banner`);
      expect(run.stderr).toContain("[E_PROXMOX_NO_SSH]");
      expect(run.stderr).toContain("ssh_port is the port it listens on");
      expect(run.stderr).toContain("wait_ssh: false");
      expect(run.output).toContain("destroyed VM 100 (ci-acme-calchat-42), made by this run");
      expect(clones(bed.pve)).toEqual([]);
      expect(hole.connections).toBeGreaterThan(0);
      // Every probe hung up: nothing is left connected to the guest.
      expect(hole.open).toBe(0);
    } finally {
      await hole.stop();
    }
  });

  it("a cancel while waiting for SSH ends the wait at once and destroys the VM", async () => {
    const hole = await startHostileServer({ mode: "black-hole" });
    try {
      // Cancelled once the probe is connected and waiting for a banner that never comes.
      const run = await bed.runCancelledWhen(
        { PLUGIN_WAIT_SSH: "true", PLUGIN_SSH_PORT: String(hole.port) },
        "the SSH probe to connect",
        () => hole.open > 0,
      );
      expect(run.code).toBe(1);
      // Not the probe's own 5 s limit: the cancel ends it.
      expect(Date.now() - run.cancelledAt).toBeLessThan(4000);
      expect(run.output).toContain("destroyed VM 100 (ci-acme-calchat-42), made by this run");
      expect(clones(bed.pve)).toEqual([]);
      await waitUntil("the probe to hang up", async () => hole.open === 0, { timeoutMs: 2000 });
    } finally {
      await hole.stop();
    }
  });

  it("nothing listening: the last state is the refused connection; keep_on_failure leaves the VM", async () => {
    const port = await freePort();
    const run = await bed.run({
      PLUGIN_WAIT_SSH: "true",
      PLUGIN_SSH_PORT: String(port),
      PLUGIN_TIMEOUT: "2s",
      PLUGIN_KEEP_ON_FAILURE: "true",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`did not answer SSH on 127.0.0.1:${port} within timeout (2s)`);
    expect(run.stderr).toContain("ECONNREFUSED");
    expect(run.output).toContain("keep_on_failure: leaving VM 100 (ci-acme-calchat-42) in place");
    expect(clones(bed.pve).map((vm) => vm.status)).toEqual(["running"]);
  });

  it("a port that answers something else than SSH says what it got", async () => {
    const web = await startHostileServer({
      mode: "dribble",
      greeting: "HTTP/1.1 400 Bad Request\r\n\r\n",
      intervalMs: 1,
    });
    try {
      const run = await bed.run({
        PLUGIN_WAIT_SSH: "true",
        PLUGIN_SSH_PORT: String(web.port),
        PLUGIN_TIMEOUT: "3s",
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `port ${web.port} answers, but not with SSH (got "HTTP/1.1 400 Bad Request`,
      );
      expect(clones(bed.pve)).toEqual([]);
    } finally {
      await web.stop();
    }
  });
});

describe("proxmox-vm wait_ssh settings", () => {
  it("a dry run names the SSH wait and its port, and calls nothing", async () => {
    const run = await bed.run({ PLUGIN_WAIT_SSH: "true", PLUGIN_SSH_PORT: "2222", PLUGIN_DRY_RUN: "true" });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("wait:     address from the guest agent, then SSH on port 2222");
    expect(bed.pve.requests()).toEqual([]);
  });

  it("wait_ssh without wait_ip is a settings error before any API call", async () => {
    const run = await bed.run({ PLUGIN_WAIT_SSH: "true", PLUGIN_WAIT_IP: "false" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("wait_ssh");
    expect(run.stderr).toContain("needs wait_ip");
    expect(bed.pve.requests()).toEqual([]);
  });
});
