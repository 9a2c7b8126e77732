import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { findBinary } from "./binaries.ts";
import { abandonStart, type Daemon, daemonInDir, spawnDaemon } from "./daemon.ts";
import { startOnFreePort } from "./free-port-daemon.ts";
import { LOOPBACK } from "./ports.ts";
import { run } from "./run.ts";
import { makeTempDir } from "./temp-dir.ts";

export interface SshdOptions {
  /**
   * Extra sshd_config lines. They come before the test bed's own lines, and sshd keeps the first
   * value it reads, so they override them (e.g. "PasswordAuthentication yes"); a "Match" line and
   * everything after it goes to the end. Port, ListenAddress, HostKey and PidFile are not allowed.
   */
  extraConfig?: readonly string[];
  /** Deadline for the SSH banner (default 15 s). */
  startTimeoutMs?: number;
  /**
   * The command sshd runs for the `sftp` subsystem (default `internal-sftp`). A hostile host is
   * one whose SFTP never answers (`cat >/dev/null`) or fails at once (`false`).
   */
  sftpSubsystem?: string;
}

export interface Sshd {
  readonly host: string;
  readonly port: number;
  /** The user running the tests: the only one allowed to log in. */
  readonly username: string;
  /** The client key (ed25519, OpenSSH format, no passphrase) that is the only authorized key. */
  readonly privateKeyPath: string;
  readonly privateKey: string;
  readonly publicKey: string;
  /** "ssh-ed25519 AAAA…" of the temporary host key. */
  readonly hostPublicKey: string;
  /** As `ssh-keygen -lf` prints it: "SHA256:…". */
  readonly hostKeyFingerprint: string;
  /** "[127.0.0.1]:PORT ssh-ed25519 AAAA…", and a file holding just that line. */
  readonly knownHostsLine: string;
  readonly knownHostsPath: string;
  /** Options for the OpenSSH client that log in as `username` with host key checking on. */
  sshArgs(): string[];
  /** What sshd printed so far (-e: its log goes to stderr). */
  logs(): string;
  stop(): Promise<void>;
}

const FORBIDDEN = /^\s*(port|listenaddress|hostkey|pidfile)\b/i;
const SERVER = "sshd";

/** SHA256 fingerprint of an OpenSSH public key line, in ssh-keygen's format. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key line: ${publicKeyLine}`);
  const digest = createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

function readBanner(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port, timeout: timeoutMs });
    let received = "";
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(received.split("\n")[0]?.trim() ?? "");
    };
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("\n")) finish();
    });
    socket.once("timeout", () => finish(new Error(`no SSH banner within ${timeoutMs} ms`)));
    socket.once("error", finish);
    socket.once("end", () =>
      finish(new Error(`connection closed before the SSH banner (got ${JSON.stringify(received)})`)),
    );
  });
}

function buildConfig(
  dir: string,
  port: number,
  username: string,
  extra: readonly string[],
  sftpSubsystem = "internal-sftp",
): string {
  const bad = extra.filter((line) => FORBIDDEN.test(line));
  if (bad.length > 0)
    throw new Error(`startSshd: extraConfig may not set ${bad.join(", ")} (the test bed owns them)`);
  const matchAt = extra.findIndex((line) => /^\s*match\b/i.test(line));
  const before = matchAt === -1 ? extra : extra.slice(0, matchAt);
  const after = matchAt === -1 ? [] : extra.slice(matchAt);
  return [
    ...before,
    `Port ${port}`,
    `ListenAddress ${LOOPBACK}`,
    "AddressFamily inet",
    `HostKey ${join(dir, "ssh_host_ed25519_key")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "UsePAM no",
    `AllowUsers ${username}`,
    `Subsystem sftp ${sftpSubsystem}`,
    "PrintMotd no",
    "MaxStartups 100:30:200",
    "MaxSessions 100",
    "LogLevel VERBOSE",
    ...after,
    "",
  ].join("\n");
}

/** Runs OpenSSH's sshd in the foreground on 127.0.0.1 with throw-away host and client keys. */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const sshd = findBinary(SERVER, "sshd", "openssh-server");
  const keygen = findBinary(SERVER, "ssh-keygen", "openssh-client");
  const username = userInfo().username;
  const dir = await makeTempDir("sshd");
  const file = (name: string) => join(dir.path, name);
  let daemon: Daemon | undefined;
  try {
    // The privilege separation directory; a missing one makes sshd refuse to start.
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 }).catch(() => undefined);
    const keygenArgs = (path: string, comment: string) => [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      comment,
      "-f",
      path,
    ];
    await Promise.all([
      run(keygen, keygenArgs(file("ssh_host_ed25519_key"), "hangar-testbed-host")),
      run(keygen, keygenArgs(file("client_ed25519"), `hangar-testbed-client-${username}`)),
    ]);
    const publicKey = (await readFile(file("client_ed25519.pub"), "utf8")).trim();
    const hostPublicKey = (await readFile(file("ssh_host_ed25519_key.pub"), "utf8"))
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(" ");
    await writeFile(file("authorized_keys"), `${publicKey}\n`);

    const started = await startOnFreePort({
      async spawn(port) {
        await writeFile(
          file("sshd_config"),
          buildConfig(dir.path, port, username, options.extraConfig ?? [], options.sftpSubsystem),
        );
        return spawnDaemon(SERVER, sshd, ["-D", "-e", "-f", file("sshd_config")]);
      },
      readiness: (port) => `sshd's banner on ${LOOPBACK}:${port}`,
      ready: async (port) => (await readBanner(port, 2_000)).startsWith("SSH-2.0-"),
      timeoutMs: options.startTimeoutMs ?? 15_000,
      portTaken: "Address already in use",
    });
    const { port } = started;
    daemon = started.daemon;

    const knownHostsLine = `[${LOOPBACK}]:${port} ${hostPublicKey}`;
    await writeFile(file("known_hosts"), `${knownHostsLine}\n`);
    const running = started.daemon;
    return {
      host: LOOPBACK,
      port,
      username,
      privateKeyPath: file("client_ed25519"),
      privateKey: await readFile(file("client_ed25519"), "utf8"),
      publicKey,
      hostPublicKey,
      hostKeyFingerprint: sshFingerprint(hostPublicKey),
      knownHostsLine,
      knownHostsPath: file("known_hosts"),
      sshArgs: () => [
        ...["-F", "/dev/null", "-p", String(port), "-i", file("client_ed25519")],
        ...[
          `UserKnownHostsFile=${file("known_hosts")}`,
          "StrictHostKeyChecking=yes",
          "BatchMode=yes",
          "IdentitiesOnly=yes",
          "ConnectTimeout=10",
        ].flatMap((option) => ["-o", option]),
        `${username}@${LOOPBACK}`,
      ],
      ...daemonInDir(running, dir),
    };
  } catch (error) {
    return abandonStart(daemon, dir, error);
  }
}
