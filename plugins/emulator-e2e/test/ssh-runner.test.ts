import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Connector, type HostAddress, Logger, parseHost, type RemoteHost } from "@hangar/kit";
import { type Sshd, startSlowLink, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import type { HostTarget } from "../src/host-target.ts";
import { SshRunner } from "../src/runners/runner-ssh.ts";

const quietLog = () => new Logger({ stdout: { write: () => true }, stderr: { write: () => true } });

const sshd = await testbed.sshd();

function target(host: Sshd): HostTarget {
  return {
    login: {
      username: host.username,
      privateKey: host.privateKey,
      hostKey: { kind: "fingerprint", fingerprint: host.hostKeyFingerprint },
    },
    address: parseHost(`${host.host}:${host.port}`, 22),
    from: "host",
  } as HostTarget;
}

describe.skipIf(!sshd)("commands on a host over SSH", { timeout: 120_000 }, () => {
  const host = sshd as Sshd;
  afterAll(async () => {
    await sshd?.stop();
  });

  it("keeps the exit status of a command that ended before its channel was handed over", async () => {
    // What happens when the status arrives in the same packet as the channel's confirmation: ssh2
    // emits `exit` before the runner has the channel. Here the channel is handed over only once
    // its `exit` has gone by, so every command is in that case.
    const connector = new Connector({ connectTimeoutMs: 30_000, commandTimeoutMs: 60_000, log: quietLog() });
    const { login, address } = target(host);
    const remote = await connector.connect({ ...login, address });
    const late: RemoteHost = {
      ...remote,
      channel: async (script) => {
        const channel = await remote.channel(script);
        await Promise.race([once(channel, "exit"), sleep(5_000)]);
        return channel;
      },
    };
    const artifacts = await mkdtemp(path.join(tmpdir(), "emulator-e2e-ssh-"));
    const runner = await SshRunner.open(late, artifacts, quietLog(), new AbortController().signal, () =>
      connector.close(),
    );
    try {
      for (const code of [0, 3, 1]) {
        const result = await runner.run("sh", ["-c", `exit ${code}`], { quiet: true, timeoutMs: 60_000 });
        expect(result.exitCode).toBe(code);
      }
      const started = await runner.start("quick", "sh", ["-c", "exit 4"], {
        logFile: path.join(artifacts, "quick.log"),
      });
      expect(await started.exited).toBe(4);
    } finally {
      await runner.close();
      await rm(artifacts, { recursive: true, force: true });
    }
  });
  it("says how far a long upload is every 5 s and counts what went over SFTP", async () => {
    // 1.5 MiB at 192 KiB/s: about 8 s, so one progress line.
    const link = await startSlowLink({ host: host.host, port: host.port }, 192 * 1024);
    const lines: string[] = [];
    const log = new Logger({
      stdout: { write: (chunk: string) => lines.push(chunk) },
      stderr: { write: () => true },
    });
    const connector = new Connector({ connectTimeoutMs: 30_000, commandTimeoutMs: 60_000, log });
    const artifacts = await mkdtemp(path.join(tmpdir(), "emulator-e2e-ssh-"));
    const apk = path.join(artifacts, "big.apk");
    await writeFile(apk, Buffer.alloc(1536 * 1024, 1));
    const { login } = target(host);
    const remote = await connector.connect({
      ...login,
      address: parseHost(`${link.host}:${link.port}`, 22) as HostAddress,
    });
    const runner = await SshRunner.open(remote, artifacts, log, new AbortController().signal, () =>
      connector.close(),
    );
    try {
      await runner.upload(apk, "app.apk");
      const output = lines.join("");
      const progress = output
        .split("\n")
        .filter((line) => /^↑ big\.apk: .* of 1\.5 MiB \(\d+%\), [\d.]+ KiB\/s$/.test(line));
      expect(progress.length, output).toBeGreaterThanOrEqual(1);
      expect(output).toMatch(
        /uploaded big\.apk to 127\.0\.0\.1:\d+:\S+ over SFTP \(1\.5 MiB, [\d.]+s, [\d.]+ KiB\/s\)/,
      );
      expect(runner.transferred().bytes).toBe(1536 * 1024);
    } finally {
      await runner.close();
      await link.stop();
      await rm(artifacts, { recursive: true, force: true });
    }
  });
});
