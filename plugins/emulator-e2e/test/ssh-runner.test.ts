import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Connector, Logger, parseHost, type RemoteHost } from "@hangar/kit";
import { type Sshd, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import type { HostTarget } from "../src/host.ts";
import { SshRunner } from "../src/runner-ssh.ts";

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
});
