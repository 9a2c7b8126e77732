import { existsSync } from "node:fs";
import path from "node:path";
import { type Sshd, testbed } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { acceptedLogins, droneEnv, runComposeDeploy, sshSettings } from "./helpers.ts";
import { stackBed, stackEnv, staticBusybox, webAnswer } from "./stack.ts";

const docker = await testbed.docker();
const host = docker ? await testbed.sshd() : undefined;
const jump = host ? await testbed.sshd() : undefined;
// A host whose SSH user finds no docker on its PATH.
const bare = jump ? await testbed.sshd({ extraConfig: ["SetEnv PATH=/nonexistent"] }) : undefined;
const registry = bare ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

describe.skipIf(!busybox)("compose-deploy's SSH connections", () => {
  const target = host as Sshd;
  const bastion = jump as Sshd;
  const noDocker = bare as Sshd;
  const project = `ssh-${process.pid}`;
  const servers = { registry, busybox, stop: [host, jump, bare, registry] };
  const bed = stackBed("ssh", servers, { composeFile: "docker-compose.yml", projects: [project] });
  const { workspace, target: dir } = bed;

  const stack = () => ({
    PLUGIN_PROJECT: project,
    PLUGIN_TARGET: path.join(dir.dir, "app"),
    PLUGIN_ENV: stackEnv(bed.images, bed.ports, "v1"),
    PLUGIN_VERIFY_URL: `http://127.0.0.1:${bed.ports.web}/cgi-bin/status`,
  });

  it("refuses a host whose key does not match the fingerprint, before anything runs on it", async () => {
    const logins = acceptedLogins(target);
    const run = await runComposeDeploy(
      droneEnv({ ...sshSettings(target), ...stack(), PLUGIN_FINGERPRINT: bastion.hostKeyFingerprint }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain(`refused to log in to 127.0.0.1:${target.port}: its host key ssh-ed25519`);
    expect(run.stderr).toContain(`is not the expected ${bastion.hostKeyFingerprint}`);
    expect(run.stderr).toContain("[E_HOST_KEY]");
    expect(acceptedLogins(target)).toBe(logins);
    expect(existsSync(path.join(dir.dir, "app"))).toBe(false);
  });

  it("refuses a host known_hosts has no line for, and says how to get one", async () => {
    const run = await runComposeDeploy(
      droneEnv({
        ...sshSettings(target),
        ...stack(),
        PLUGIN_FINGERPRINT: "",
        PLUGIN_KNOWN_HOSTS: bastion.knownHostsLine,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain(`known_hosts has no line for [127.0.0.1]:${target.port}`);
    expect(run.stderr).toContain(`ssh-keyscan -p ${target.port} 127.0.0.1`);
  });

  it("says clearly that the host refused the key", async () => {
    const run = await runComposeDeploy(
      droneEnv({ ...sshSettings(target), ...stack(), PLUGIN_KEY: bastion.privateKey }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain(
      `root@127.0.0.1:${target.port} refused the login with the private key [E_SSH_AUTH]`,
    );
    expect(run.output).not.toContain(bastion.privateKey.split("\n")[1] ?? "-");
  });

  it("deploys through a jump host, on one connection to each", async () => {
    const [jumpLogins, hostLogins] = [acceptedLogins(bastion), acceptedLogins(target)];
    const run = await runComposeDeploy(
      droneEnv({
        ...sshSettings(target),
        ...stack(),
        PLUGIN_FINGERPRINT: "",
        PLUGIN_KNOWN_HOSTS: `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`,
        PLUGIN_PROXY_HOST: `127.0.0.1:${bastion.port}`,
        PLUGIN_PROXY_KEY: bastion.privateKey,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(`connected to root@127.0.0.1:${bastion.port}`);
    expect(run.stdout).toContain(`connected to root@127.0.0.1:${target.port}`);
    expect(run.stdout).toContain("verified by known_hosts");
    expect(await webAnswer(bed.ports)).toBe("200 web v1");
    expect(acceptedLogins(bastion) - jumpLogins).toBe(1);
    expect(acceptedLogins(target) - hostLogins).toBe(1);
  }, 120_000);

  it("rolling over two hosts stops at the first that fails: the second is not touched", async () => {
    const hostLogins = acceptedLogins(target);
    const run = await runComposeDeploy(
      droneEnv({
        ...sshSettings(target),
        ...stack(),
        PLUGIN_HOST: `127.0.0.1:${noDocker.port},127.0.0.1:${target.port}`,
        PLUGIN_FINGERPRINT: "",
        PLUGIN_KNOWN_HOSTS: `${noDocker.knownHostsLine}\n${target.knownHostsLine}\n`,
        // The same key for both: the test bed gives each sshd its own.
        PLUGIN_KEY: noDocker.privateKey,
        DRONE_BUILD_NUMBER: "77",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain(
      `127.0.0.1:${noDocker.port} has neither \`docker compose\` (v2) nor \`docker-compose\` (v1)`,
    );
    expect(run.stderr).toContain(
      `127.0.0.1:${target.port}: not deployed: the rolling deploy stopped at the first failure`,
    );
    expect(run.stdout).toContain(`[127.0.0.1:${noDocker.port}]`);
    expect(acceptedLogins(target)).toBe(hostLogins);
  });
});
