import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFixture } from "../src/availability.ts";
import { RunError, run } from "../src/run.ts";
import { startSshd } from "../src/sshd.ts";
import { makeTempDir, type TempDir } from "../src/temp-dir.ts";

async function ssh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("ssh", args, { timeoutMs: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (!(error instanceof RunError)) throw error;
    return { code: error.exitCode ?? -1, stdout: error.stdout, stderr: error.stderr };
  }
}

describe("sshd", () => {
  const sshd = serverFixture("OpenSSH sshd", () => startSshd());
  let scratch: TempDir;
  beforeAll(async () => {
    scratch = await makeTempDir("sshd-test");
  });
  beforeAll(sshd.setup);
  afterAll(sshd.teardown);
  afterAll(() => scratch.remove());

  it("runs a command for the authorized key with strict host key checking", async (ctx) => {
    const server = sshd.get(ctx);
    expect(server.host).toBe("127.0.0.1");
    expect(server.knownHostsLine).toBe(`[127.0.0.1]:${server.port} ${server.hostPublicKey}`);
    // By hand from the documented fields, not sshArgs(): they are enough to log in.
    const options = [
      `UserKnownHostsFile=${server.knownHostsPath}`,
      "StrictHostKeyChecking=yes",
      "BatchMode=yes",
      "IdentitiesOnly=yes",
    ];
    const result = await ssh([
      ...["-F", "/dev/null", "-p", String(server.port), "-i", server.privateKeyPath],
      ...options.flatMap((option) => ["-o", option]),
      ...[`${server.username}@127.0.0.1`, "echo", "ok"],
    ]);
    expect(result).toMatchObject({ code: 0, stdout: "ok\n" });
    expect((await ssh([...server.sshArgs(), "id", "-un"])).stdout.trim()).toBe(server.username);
  });

  it("reports the host key fingerprint the way ssh-keygen -lf does", async (ctx) => {
    const server = sshd.get(ctx);
    const { stdout } = await run("ssh-keygen", ["-lf", server.knownHostsPath]);
    expect(stdout.split(" ")[1]).toBe(server.hostKeyFingerprint);
    expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("is refused when known_hosts holds another key for it", async (ctx) => {
    const server = sshd.get(ctx);
    const other = join(scratch.path, "other_host_key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const { stdout: otherPublic } = await run("ssh-keygen", ["-y", "-f", other]);
    const wrongKnownHosts = join(scratch.path, "known_hosts_wrong");
    await writeFile(wrongKnownHosts, `[127.0.0.1]:${server.port} ${otherPublic.trim()}\n`);
    const args = server.sshArgs().map((arg) => arg.replace(server.knownHostsPath, wrongKnownHosts));
    const result = await ssh([...args, "echo", "ok"]);
    expect(result.code).toBe(255);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  it("accepts no key but the authorized one", async (ctx) => {
    const server = sshd.get(ctx);
    const stranger = join(scratch.path, "stranger");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    const args = server.sshArgs().map((arg) => arg.replace(server.privateKeyPath, stranger));
    const result = await ssh([...args, "echo", "ok"]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it("keeps the test bed's own settings out of extraConfig", async (ctx) => {
    sshd.get(ctx);
    await expect(startSshd({ extraConfig: ["ListenAddress 0.0.0.0"] })).rejects.toThrow(
      /may not set ListenAddress/,
    );
  });
});

describe("sshd with extra configuration", () => {
  const sshd = serverFixture("OpenSSH sshd", () =>
    startSshd({ extraConfig: ["PubkeyAuthentication no", "PasswordAuthentication no"] }),
  );
  beforeAll(sshd.setup);
  afterAll(sshd.teardown);

  it("lets extraConfig override the defaults", async (ctx) => {
    const server = sshd.get(ctx);
    const result = await ssh([...server.sshArgs(), "echo", "ok"]);
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/Permission denied/);
  });
});
