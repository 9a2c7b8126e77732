import type { NodeSSH } from "node-ssh";
import type { ClientChannel, SFTPWrapper } from "ssh2";
import { errorMessage, HangarError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { checkHostKey, type HostKeyPolicy, type HostKeyVerdict } from "./host-key.ts";
import type { HostAddress } from "./hosts.ts";
import { lineWriter } from "./lines.ts";
import { shellJoin } from "./shell.ts";

/** How to log in to one SSH server. */
export interface SshLogin {
  address: HostAddress;
  username: string;
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  password?: string | undefined;
  hostKey: HostKeyPolicy;
}

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RemoteExecOptions {
  /** Written to the command's stdin, which is then closed: how the registry password travels. */
  stdin?: string;
  /** No `+ command` trace line (polls, probes). */
  quiet?: boolean;
  /** Print the command's output lines as they arrive (pull, up). */
  stream?: boolean;
  /** Resolve with a non-zero exit instead of failing. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

/** A command as an argument array (quoted here), or a script built with `shell.ts`. */
export type RemoteCommand = readonly string[] | { script: string; display?: string };

/**
 * One host over one SSH connection: commands run as channels on it, files go over SFTP on it,
 * and `forward` opens TCP connections from the host (for `verify_from: remote`).
 */
export interface RemoteHost {
  readonly label: string;
  exec(command: RemoteCommand, options?: RemoteExecOptions): Promise<RemoteResult>;
  sftp(): Promise<SFTPWrapper>;
  forward(host: string, port: number): Promise<ClientChannel>;
  /**
   * Starts a command on its own channel with no deadline and no cancel: for a process that must
   * live exactly as long as the connection (the deploy lock's holder).
   */
  channel(script: string): Promise<ClientChannel>;
  /** The same host, with commands stopped by `signal` instead (clean-up after a cancel). */
  withSignal(signal: AbortSignal): RemoteHost;
  close(): void;
}

/** A remote command that exited non-zero: its exit code and the tail of its stderr are the message. */
export class RemoteCommandFailed extends HangarError {
  readonly exitCode: number;
  readonly stderr: string;

  constructor(host: string, command: string, result: RemoteResult) {
    const output = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-20).join("\n");
    super(
      "E_REMOTE_COMMAND",
      `on ${host}, \`${command}\` exited with code ${result.code}${output ? `:\n${output}` : ""}`,
    );
    this.name = "RemoteCommandFailed";
    this.exitCode = result.code;
    this.stderr = result.stderr;
  }
}

export interface ConnectorOptions {
  proxy?: SshLogin | undefined;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** What a command that runs out of `commandTimeoutMs` should make the user change. */
  commandTimeoutHint?: string | undefined;
  log: Logger;
  signal?: AbortSignal | undefined;
}

/**
 * Opens one connection per host, and at most one to the jump host, shared by every host
 * reached through it. `close` ends them all.
 */
export class Connector {
  readonly #options: ConnectorOptions;
  #jump: Promise<NodeSSH> | undefined;
  readonly #open = new Set<NodeSSH>();

  constructor(options: ConnectorOptions) {
    this.#options = options;
  }

  async connect(target: SshLogin, log: Logger = this.#options.log): Promise<RemoteHost> {
    const { proxy } = this.#options;
    let sock: ClientChannel | undefined;
    if (proxy) {
      this.#jump ??= this.#login(proxy, undefined, log);
      const jump = await this.#jump;
      sock = await forwardOut(jump, target.address.host, target.address.port).catch((error: unknown) => {
        throw new HangarError(
          "E_SSH_PROXY",
          `the jump host ${proxy.address.label} could not open a connection to ${target.address.label}: ${errorMessage(error)}`,
          { hint: "Check `host` as the jump host sees it, and that the jump host allows TCP forwarding." },
        );
      });
    }
    const ssh = await this.#login(target, sock, log);
    return remoteHost(ssh, target.address.label, this.#options, log);
  }

  close(): void {
    for (const ssh of this.#open) ssh.dispose();
    this.#open.clear();
  }

  async #login(login: SshLogin, sock: ClientChannel | undefined, log: Logger): Promise<NodeSSH> {
    // Loaded on first use: a dry run or `--help` never pays for ssh2.
    const { NodeSSH } = await import("node-ssh");
    const ssh = new NodeSSH();
    const { address } = login;
    const where = `${login.username}@${address.label}`;
    let verdict: HostKeyVerdict | undefined;
    try {
      await ssh.connect({
        host: address.host,
        port: address.port,
        username: login.username,
        ...(login.privateKey ? { privateKey: login.privateKey } : {}),
        ...(login.passphrase ? { passphrase: login.passphrase } : {}),
        ...(login.password ? { password: login.password } : {}),
        ...(sock ? { sock } : {}),
        readyTimeout: this.#options.connectTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        // Checked during the key exchange: a host that cannot prove who it is never sees a login.
        hostVerifier: (key: Buffer) => {
          verdict = checkHostKey(login.hostKey, address.host, address.port, key);
          return verdict.ok;
        },
      });
    } catch (error) {
      ssh.dispose();
      if (verdict && !verdict.ok) {
        throw new HangarError("E_HOST_KEY", `refused to log in to ${address.label}: ${verdict.reason}`, {
          hint: "Nothing was sent to the host. If its key changed on purpose, update `fingerprint` or `known_hosts`.",
        });
      }
      throw describeConnectError(error, where, login, this.#options.connectTimeoutMs);
    }
    // node-ssh listens for errors only while connecting and running a command; one that comes
    // between (a dropped link) must fail the next command, not crash the process.
    ssh.connection?.on("error", (error: Error) => log.debug(`ssh ${where}: ${error.message}`));
    this.#open.add(ssh);
    const how =
      login.hostKey.kind === "insecure"
        ? "NOT verified: insecure_ignore_host_key"
        : `verified by ${login.hostKey.kind === "fingerprint" ? "fingerprint" : "known_hosts"}`;
    log.info(`connected to ${where} (host key ${verdict?.fingerprint ?? "?"}, ${how})`);
    return ssh;
  }
}

function describeConnectError(
  error: unknown,
  where: string,
  login: SshLogin,
  timeoutMs: number,
): HangarError {
  const message = errorMessage(error);
  const code = (error as { code?: string }).code;
  if (/authentication methods failed/i.test(message)) {
    const method = login.privateKey ? "the private key" : login.password ? "the password" : "no credentials";
    return new HangarError("E_SSH_AUTH", `${where} refused the login with ${method}`, {
      hint: "Check `username`, and that the key's public half is in that user's ~/.ssh/authorized_keys on the host.",
      cause: error,
    });
  }
  if (/timed out|no response/i.test(message) || code === "ETIMEDOUT") {
    return new HangarError("E_SSH_TIMEOUT", `no SSH login to ${where} within ${timeoutMs / 1000}s`, {
      hint: "Check `host` and `port`, and that the runner can reach the host; raise `timeout` for a slow link.",
      cause: error,
    });
  }
  if (/passphrase|cannot parse|unsupported key|privateKey/i.test(message)) {
    return new HangarError("E_SSH_KEY", `cannot use the private key for ${where}: ${message}`, {
      hint: "Give the key in OpenSSH or PEM format, with `passphrase` when it is encrypted.",
      cause: error,
    });
  }
  return new HangarError("E_SSH_CONNECT", `cannot connect to ${where}: ${message}`, {
    hint: "Check `host` and `port`, and that sshd runs there.",
    cause: error,
  });
}

function forwardOut(ssh: NodeSSH, host: string, port: number): Promise<ClientChannel> {
  const client = ssh.connection;
  if (!client) return Promise.reject(new Error("the SSH connection is closed"));
  return new Promise((resolve, reject) => {
    client.forwardOut("127.0.0.1", 0, host, port, (error, channel) =>
      error ? reject(error) : resolve(channel),
    );
  });
}

function remoteHost(
  ssh: NodeSSH,
  label: string,
  options: ConnectorOptions,
  log: Logger,
  shared: { sftp?: Promise<SFTPWrapper> } = {},
): RemoteHost {
  return {
    label,
    async exec(command, execOptions = {}) {
      const text = "script" in command ? command.script : shellJoin(command);
      const display = "script" in command ? (command.display ?? text) : text;
      // After a cancel nothing new starts on the cancelled signal; clean-up uses `withSignal`.
      options.signal?.throwIfAborted();
      if (!execOptions.quiet) log.info(`+ ${display}`);
      const timeoutMs = execOptions.timeoutMs ?? options.commandTimeoutMs;
      let channel: ClientChannel | undefined;
      const stop = () => {
        channel?.signal("KILL");
        channel?.close();
      };
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          stop();
          reject(
            new HangarError(
              "E_REMOTE_TIMEOUT",
              `on ${label}, \`${display}\` did not finish within ${timeoutMs / 1000}s`,
              options.commandTimeoutHint ? { hint: options.commandTimeoutHint } : {},
            ),
          );
        }, timeoutMs);
      });
      options.signal?.addEventListener("abort", stop, { once: true });
      const lines = execOptions.stream ? lineWriter((line) => log.info(`  ${line}`)) : undefined;
      try {
        const result = await Promise.race([
          ssh.execCommand(text, {
            ...(execOptions.stdin !== undefined ? { stdin: execOptions.stdin } : {}),
            onChannel: (opened) => {
              channel = opened;
            },
            ...(lines ? { onStdout: lines.write, onStderr: lines.write } : {}),
          }),
          deadline,
        ]);
        lines?.flush();
        options.signal?.throwIfAborted();
        const done = {
          code: result.code ?? (result.signal ? 128 : 255),
          stdout: result.stdout,
          stderr: result.stderr,
        };
        if (done.code !== 0 && !execOptions.allowFailure) throw new RemoteCommandFailed(label, display, done);
        return done;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", stop);
      }
    },
    sftp() {
      shared.sftp ??= ssh.requestSFTP();
      return shared.sftp;
    },
    forward: (host, port) => forwardOut(ssh, host, port),
    channel: (script) =>
      new Promise((resolve, reject) => {
        const client = ssh.connection;
        if (!client) return reject(new Error("the SSH connection is closed"));
        client.exec(script, (error, channel) => (error ? reject(error) : resolve(channel)));
      }),
    withSignal: (signal) => remoteHost(ssh, label, { ...options, signal }, log, shared),
    close: () => ssh.dispose(),
  };
}
