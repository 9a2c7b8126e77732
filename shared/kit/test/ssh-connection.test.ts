import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Sshd, startHostileServer, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { HangarError } from "../src/errors.ts";
import { Logger } from "../src/log.ts";
import { Connector, type SshLogin } from "../src/ssh/connection.ts";
import { parseHost } from "../src/ssh/hosts.ts";
import { capture } from "./helpers.ts";

const server = await testbed.sshd();
const other = server ? await testbed.sshd() : undefined;

function loginTo(sshd: Sshd, fingerprint = sshd.hostKeyFingerprint): SshLogin {
  return {
    address: parseHost(`${sshd.host}:${sshd.port}`, 22) as Exclude<ReturnType<typeof parseHost>, string>,
    username: sshd.username,
    privateKey: sshd.privateKey,
    hostKey: { kind: "fingerprint", fingerprint },
  };
}

function connector(options: { proxy?: SshLogin; connectTimeoutMs?: number } = {}) {
  const out = capture();
  const log = new Logger(out.streams);
  return {
    out,
    connector: new Connector({
      proxy: options.proxy,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      commandTimeoutMs: 10_000,
      log,
    }),
  };
}

const logins = (sshd: Sshd) => sshd.logs().match(/Accepted publickey for /g)?.length ?? 0;

describe.skipIf(!other)("SSH connections (kit)", () => {
  const host = server as Sshd;
  const jump = other as Sshd;
  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  it("runs commands, moves files over SFTP and forwards ports on one connection", async () => {
    const before = logins(host);
    const { connector: ssh, out } = connector();
    const dir = await mkdtemp(path.join(tmpdir(), "kit-ssh-"));
    const web = createServer((_request, response) => response.end("through the tunnel"));
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    try {
      const remote = await ssh.connect(loginTo(host));
      const echoed = await remote.exec(["printf", "%s", "it's $(id)"]);
      expect(echoed.stdout).toBe("it's $(id)");
      const failed = await remote.exec(["sh", "-c", "echo nope >&2; exit 3"], { allowFailure: true });
      expect(failed).toMatchObject({ code: 3, stderr: "nope" });
      await expect(remote.exec(["false"])).rejects.toThrow(/`false` exited with code 1/);

      await writeFile(path.join(dir, "up.txt"), "uploaded");
      const sftp = await remote.sftp();
      await new Promise<void>((resolve, reject) =>
        sftp.fastPut(path.join(dir, "up.txt"), path.join(dir, "there.txt"), (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      expect(await readFile(path.join(dir, "there.txt"), "utf8")).toBe("uploaded");

      const channel = await remote.forward("127.0.0.1", (web.address() as AddressInfo).port);
      channel.end("GET / HTTP/1.0\r\n\r\n");
      let answer = "";
      for await (const chunk of channel) answer += String(chunk);
      expect(answer).toContain("through the tunnel");
      remote.close();
      expect(logins(host) - before).toBe(1);
      expect(out.stdout).toContain(`connected to ${host.username}@127.0.0.1:${host.port} (host key SHA256:`);
    } finally {
      ssh.close();
      web.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a host whose key is not the pinned one, before logging in", async () => {
    const before = logins(host);
    const { connector: ssh } = connector();
    const error = await ssh.connect(loginTo(host, jump.hostKeyFingerprint)).catch((e: unknown) => e);
    ssh.close();
    expect(error).toBeInstanceOf(HangarError);
    expect((error as HangarError).code).toBe("E_HOST_KEY");
    expect((error as HangarError).message).toContain(`is not the expected ${jump.hostKeyFingerprint}`);
    expect(logins(host)).toBe(before);
  });

  it("reaches a host through a jump host, one connection to each", async () => {
    const [jumpBefore, hostBefore] = [logins(jump), logins(host)];
    const { connector: ssh } = connector({ proxy: loginTo(jump) });
    try {
      const remote = await ssh.connect({ ...loginTo(host), privateKey: host.privateKey });
      expect((await remote.exec(["echo", "hi"])).stdout.trim()).toBe("hi");
      expect(logins(jump) - jumpBefore).toBe(1);
      expect(logins(host) - hostBefore).toBe(1);
    } finally {
      ssh.close();
    }
  });

  it("a command that outlives its deadline is stopped and named", async () => {
    const { connector: ssh } = connector();
    try {
      const remote = await ssh.connect(loginTo(host));
      const started = Date.now();
      const error = await remote.exec(["sleep", "30"], { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect((error as HangarError).code).toBe("E_REMOTE_TIMEOUT");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      ssh.close();
    }
  });
});

describe("SSH connections to hosts that do not answer (kit)", () => {
  for (const mode of ["black-hole", "dribble"] as const) {
    it(`a ${mode} host fails the login within the connect timeout`, async () => {
      const hostile = await startHostileServer({ mode, greeting: "SSH-2.0-", intervalMs: 500 });
      const { connector: ssh } = connector({ connectTimeoutMs: 2_000 });
      const started = Date.now();
      try {
        const error = await ssh
          .connect({
            address: parseHost(`127.0.0.1:${hostile.port}`, 22) as Exclude<
              ReturnType<typeof parseHost>,
              string
            >,
            username: "nobody",
            password: "x",
            hostKey: { kind: "insecure" },
          })
          .catch((e: unknown) => e);
        expect((error as HangarError).code).toBe("E_SSH_TIMEOUT");
        expect((error as HangarError).message).toContain("no SSH login to nobody@127.0.0.1");
        expect(Date.now() - started).toBeLessThan(6_000);
      } finally {
        ssh.close();
        await hostile.stop();
      }
    });
  }
});
