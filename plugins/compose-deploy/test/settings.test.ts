import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDotenv } from "../src/dotenv.ts";
import { droneEnv, runComposeDeploy, tempDir } from "./helpers.ts";

const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
const FINGERPRINT = "SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
const REGISTRY_PASSWORD = "registry-token-0b9c8d7e";
const MONGO_PASSWORD = "mongo-pw-5a4b3c2d";

let workspace: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  workspace = await tempDir("settings");
  await mkdir(path.join(workspace.dir, "deploy"));
  await writeFile(path.join(workspace.dir, "deploy", "compose.yml"), "services:\n  web:\n    image: web\n");
  await writeFile(path.join(workspace.dir, "deploy", "compose.prod.yml"), "services: {}\n");
  await writeFile(path.join(workspace.dir, "deploy", "app.env"), "LOG_LEVEL=info\n");
  await writeFile(path.join(workspace.dir, "deploy", "db.env"), "POOL=4\n");
});
afterEach(() => workspace.remove());

/** The calchat production step, as a dry run. */
function production(extra: Record<string, string> = {}): Record<string, string> {
  return droneEnv({
    DRONE_REPO: "calchat/CalChat.Server",
    DRONE_REPO_NAME: "CalChat.Server",
    PLUGIN_DRY_RUN: "true",
    PLUGIN_HOST: "vps.example.com",
    PLUGIN_USERNAME: "deploy",
    PLUGIN_KEY: KEY,
    PLUGIN_FINGERPRINT: FINGERPRINT,
    PLUGIN_COMPOSE_FILES: "deploy/compose.yml,deploy/compose.prod.yml",
    PLUGIN_ENV_FILES: "deploy/*.env",
    PLUGIN_ENV: JSON.stringify({ IMAGE_TAG: "5e1d0c9b" }),
    PLUGIN_ENV_SECRETS: "MONGO_PASSWORD",
    MONGO_PASSWORD,
    PLUGIN_REGISTRY: "git.example.com",
    PLUGIN_REGISTRY_USERNAME: "ci",
    PLUGIN_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
    PLUGIN_VERIFY_URL: "https://calchat.example.com/api/health",
    ...extra,
  });
}

describe("settings and plan", () => {
  it("plans the calchat production step: release, files, .env, proof, no secret in the dry run", async () => {
    const run = await runComposeDeploy(production(), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      'deploy compose project "calchat-server" as release 41-5e1d0c9b to 1 host(s)',
    );
    expect(run.stdout).toContain(
      `host:      deploy@vps.example.com:22 (private key, host key ${FINGERPRINT})`,
    );
    expect(run.stdout).toContain(
      "release:   /opt/calchat-server/releases/41-5e1d0c9b, then /opt/calchat-server/current → it",
    );
    expect(run.stdout).toContain(
      "files:     deploy/compose.yml (32 B), deploy/compose.prod.yml (13 B), deploy/app.env (15 B), deploy/db.env (7 B)",
    );
    expect(run.stdout).toContain(".env:      deploy/.env: IMAGE_TAG=5e1d0c9b, MONGO_PASSWORD=(secret)");
    expect(run.stdout).toContain("registry:  log in to git.example.com as ci (password on stdin)");
    expect(run.stdout).toContain(
      "proof:     services running and healthy within 2m; https://calchat.example.com/api/health answers 200 (12 tries, 5s apart, from the host)",
    );
    expect(run.stdout).toContain(
      "turns:     wait up to 10m for the deploy lock on /opt/calchat-server; skip when a newer build is current",
    );
    const promote = await runComposeDeploy(
      production({ DRONE_BUILD_EVENT: "promote", PLUGIN_LOCK_TIMEOUT: "90s" }),
      workspace.dir,
    );
    expect(promote.stdout).toContain(
      "turns:     wait up to 90s for the deploy lock on /opt/calchat-server; deploy even over a newer build",
    );
    for (const secret of [REGISTRY_PASSWORD, MONGO_PASSWORD, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"]) {
      expect(run.output).not.toContain(secret);
    }
  });

  it("lists every problem at once, before connecting anywhere", async () => {
    const run = await runComposeDeploy(
      droneEnv({
        DRONE_REPO_NAME: "",
        DRONE_REPO: "",
        PLUGIN_HOST: "vps.example.com:70000,ok.example.com",
        PLUGIN_KEY: "not a key",
        PLUGIN_KEY_PATH: "missing/id_ed25519",
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml,nope.yml",
        PLUGIN_ENV_FILES: "deploy/*.nothing",
        PLUGIN_ENV: JSON.stringify({ "BAD-NAME": "x" }),
        PLUGIN_ENV_SECRETS: "NOT_SET",
        PLUGIN_REGISTRY_USERNAME: "ci",
        PLUGIN_PROXY_USERNAME: "jump",
        PLUGIN_STRATEGY: "sometimes",
        PLUGIN_TARGET: "relative/dir",
      }),
      workspace.dir,
    );
    expect(run.code).toBe(2);
    for (const line of [
      "username: is required",
      'host: "vps.example.com:70000" has a port outside 1–65535',
      "key_path: cannot be used together with `key`",
      "key: is not a private key",
      "key_path: cannot be read",
      "fingerprint: is required to verify the host",
      "proxy_username: has no effect without `proxy_host`",
      "project: is required: the build names no repository",
      'compose_files: nope.yml does not exist in the workspace; got "nope.yml"',
      'env_files: matches no file in the workspace; got "deploy/*.nothing"',
      "env: has names that are not variable names: BAD-NAME",
      "env_secrets: names NOT_SET, which is not set in the step's environment",
      "registry_password: is required with `registry_username`",
      "strategy: must be one of rolling, parallel",
      "target: must be an absolute directory path",
    ]) {
      expect(run.stderr).toContain(line);
    }
    // A secret's value is never echoed, not even when it is wrong.
    expect(run.stderr).toContain(
      'key: is not a private key (expected `-----BEGIN … PRIVATE KEY-----`); got "[secret, redacted]"',
    );
    expect(run.stderr).not.toContain("not a key");
  });

  it("asks for a way to check the jump host's key, and warns when host keys are not checked", async () => {
    const noProxyKey = await runComposeDeploy(
      production({ PLUGIN_PROXY_HOST: "bastion.example.com" }),
      workspace.dir,
    );
    expect(noProxyKey.code).toBe(2);
    expect(noProxyKey.stderr).toContain("proxy_fingerprint: is required to verify the jump host");

    const insecure = await runComposeDeploy(
      production({ PLUGIN_FINGERPRINT: "", PLUGIN_INSECURE_IGNORE_HOST_KEY: "true" }),
      workspace.dir,
    );
    expect(insecure.code, insecure.output).toBe(0);
    expect(insecure.stderr).toContain("! warning: insecure_ignore_host_key is on: host keys are not checked");
    expect(insecure.stdout).toContain("host key NOT checked");
  });

  it("reads known_hosts and key_path from workspace files; the jump host falls back to the host's login", async () => {
    await writeFile(
      path.join(workspace.dir, "known_hosts"),
      "vps.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxx\n",
    );
    await writeFile(path.join(workspace.dir, "id_ed25519"), KEY);
    const run = await runComposeDeploy(
      production({
        PLUGIN_KEY: "",
        PLUGIN_KEY_PATH: "id_ed25519",
        PLUGIN_FINGERPRINT: "",
        PLUGIN_KNOWN_HOSTS: "known_hosts",
        PLUGIN_PROXY_HOST: "bastion.example.com:2222",
        PLUGIN_HOST: "10.0.0.5,10.0.0.6:2200",
        PLUGIN_STRATEGY: "parallel",
        PLUGIN_PROJECT: "calchat",
        PLUGIN_TARGET: "/srv/calchat",
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("to 2 host(s), parallel");
    expect(run.stdout).toContain("host:      deploy@10.0.0.6:2200 (private key, host key from known_hosts)");
    expect(run.stdout).toContain("jump host: deploy@bastion.example.com:2222 (host key from known_hosts)");
    expect(run.stdout).toContain("release:   /srv/calchat/releases/41-5e1d0c9b");

    const empty = await runComposeDeploy(
      production({ PLUGIN_FINGERPRINT: "", PLUGIN_KNOWN_HOSTS: "# nothing here\n" }),
      workspace.dir,
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("known_hosts: holds no `host keytype key` line");
  });

  it("refuses to ship a .env of the user's where it writes its own", async () => {
    await writeFile(path.join(workspace.dir, "deploy", ".env"), "A=1\n");
    const run = await runComposeDeploy(production({ PLUGIN_ENV_FILES: "deploy/.env" }), workspace.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "env_files: ships deploy/.env, which this plugin writes from `env` and `env_secrets`",
    );
  });

  it("refuses .env values docker-compose v1 would misread: a trailing backslash, the injection, a placeholder", async () => {
    // Two values ending in `\\` made compose v1 read `INJECTED=pwned` as an entry of its own.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's placeholder, not JavaScript's
    const secret = "s3cret-${HOME}";
    const run = await runComposeDeploy(
      production({
        PLUGIN_ENV: JSON.stringify({ A: "x\\", B: "fix\\\nINJECTED=pwned\n#\\", D: "fine $HOME \\ 'q'" }),
        MONGO_PASSWORD: secret,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain("env: A's value ends with a backslash");
    expect(run.stderr).toContain("env: B's value ends with a backslash");
    expect(run.stderr).not.toContain("env: D's");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's placeholder, not JavaScript's
    expect(run.stderr).toContain("env_secrets: MONGO_PASSWORD's value holds `${…}`");
    expect(run.output).not.toContain("s3cret");
    expect(() => renderDotenv([["A", "x\\"]], "v1")).toThrow("cannot be written safely");
  });

  it("refuses key_path and known_hosts that lead out of the workspace through a symlink", async () => {
    const outside = await tempDir("outside");
    try {
      await writeFile(path.join(outside.dir, "id"), KEY);
      await writeFile(
        path.join(outside.dir, "hosts"),
        "vps.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxx\n",
      );
      await symlink(path.join(outside.dir, "id"), path.join(workspace.dir, "id_ed25519"));
      await symlink("/proc/self/environ", path.join(workspace.dir, "known_hosts"));
      const run = await runComposeDeploy(
        production({ PLUGIN_KEY: "", PLUGIN_KEY_PATH: "id_ed25519", PLUGIN_KNOWN_HOSTS: "known_hosts" }),
        workspace.dir,
      );
      expect(run.code, run.output).toBe(2);
      expect(run.stderr).toContain("key_path: cannot be read: id_ed25519 leads outside the workspace");
      expect(run.stderr).toContain("known_hosts: cannot be read: known_hosts leads outside the workspace");
      expect(run.output).not.toContain("PLUGIN_REGISTRY_PASSWORD");
      expect(run.output).not.toContain(REGISTRY_PASSWORD);
    } finally {
      await outside.remove();
    }
  });
});
