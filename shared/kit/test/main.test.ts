// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${VAR} references are what these tests are about
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CARD_TEMPLATE_URL } from "../src/card.ts";
import { readContext } from "../src/context.ts";
import { DOCS_BASE_URL } from "../src/docs-link.ts";
import { StepFailed } from "../src/errors.ts";
import { EXIT_BAD_SETTINGS, EXIT_FAILED, runPlugin } from "../src/main.ts";
import { writeOutputs } from "../src/outputs.ts";
import type { PluginDefinition, Runtime } from "../src/plugin.ts";
import { settings } from "../src/settings/define.ts";
import { capture, cardFromLog, tempDir } from "./helpers.ts";

const SECRET = "Sup3r-Secret-Pa55word";

const schema = {
  recipients: settings.list(z.email())({ description: "Who gets the mail", required: true }),
  port: settings.integer({ min: 1, max: 65535 })({ description: "SMTP port", default: 587 }),
  host: settings.string()({ description: "SMTP host", default: "127.0.0.1" }),
  username: settings.string()({ description: "SMTP user" }),
  password: settings.secret({ description: "SMTP password", env: ["SMTP_PASSWORD"] }),
  outcome: settings.enum(["send", "refused", "hangar-error", "bug", "leak"])({
    description: "What the fake run does",
    default: "send",
  }),
};

interface Plan {
  recipients: string[];
  server: string;
  user: string | undefined;
  password: string | undefined;
  outcome: string;
}

/** A small plugin that records what the kit made it do. */
function fakePlugin() {
  const calls = { check: 0, plan: 0, run: 0, runtime: undefined as Runtime | undefined };
  const plugin: PluginDefinition<typeof schema, Plan> = {
    name: "fake-mail",
    description: "Mails the build status (a fake, for the kit's tests).",
    settings: schema,
    check: (values, context) => {
      calls.check++;
      if (values.username && !values.password) {
        return [context.problem("password", "E_SETTING_REQUIRED", "is required when username is set")];
      }
      if (values.password?.startsWith("Sup3r") && values.username === "weak") {
        return [context.problem("password", "E_SETTING_WEAK", "is too easy to guess", values.password)];
      }
      return [];
    },
    plan: (values, context) => {
      calls.plan++;
      context.log.debug(`planning with ${values.password}`);
      return {
        recipients: values.recipients,
        server: `${values.host}:${values.port}`,
        user: values.username,
        password: values.password,
        outcome: values.outcome,
      };
    },
    describe: (plan) =>
      [
        `would mail ${plan.recipients.join(", ")}`,
        `via ${plan.server} as ${plan.user} with ${plan.password}`,
      ].join("\n"),
    run: async (plan, runtime) => {
      calls.run++;
      calls.runtime = runtime;
      const { log } = runtime;
      log.info(`logging in with ${plan.password}`);
      log.info(`Authorization: Basic ${Buffer.from(`${plan.user}:${plan.password}`).toString("base64")}`);
      await runtime.exec("node", [
        "-e",
        "console.error('stderr of the tool')",
        "--",
        `--password=${plan.password}`,
      ]);
      const outputs = {
        message_id: "<42@example.com>",
        "server url": `smtp://${plan.user}:${plan.password}@x`,
      };
      const card = {
        title: "Mail sent",
        status: "success" as const,
        facts: [{ name: "Password", value: String(plan.password) }],
      };
      switch (plan.outcome) {
        case "refused":
          return { ok: false, outputs, card, summary: `server refused the mail for ${plan.password}` };
        case "hangar-error":
          throw new StepFailed(`550 rejected for ${plan.password}`, {
            code: "E_SMTP_REJECTED",
            hint: "Check the recipients' addresses.",
            docs: `${DOCS_BASE_URL}/fake-mail.md#troubleshooting`,
          });
        case "bug":
          throw new TypeError(`cannot read 'id' of undefined (password ${plan.password})`);
        case "leak":
          await runtime.exec("sh", [
            "-c",
            'echo "auth failed for $1" >&2; exit 5',
            "sh",
            String(plan.password),
          ]);
          return {};
        default:
          return { outputs, card, summary: `mailed ${plan.recipients.length} recipients` };
      }
    },
  };
  return { plugin, calls };
}

async function start(env: Record<string, string>, argv: string[] = []) {
  const workspace = await tempDir();
  const out = capture();
  const { plugin, calls } = fakePlugin();
  const fullEnv = {
    DRONE: "true",
    DRONE_BUILD_NUMBER: "42",
    DRONE_REPO: "acme/calchat",
    DRONE_COMMIT_SHA: "9f3c2a17b0e4d5c6a7b8c9d0e1f2a3b4c5d6e7f8",
    DRONE_BRANCH: "main",
    DRONE_CARD_PATH: path.join(workspace, "card.json"),
    PLUGIN_RECIPIENTS: "dev@example.com,ops@example.com",
    PLUGIN_USERNAME: "ci",
    PLUGIN_PASSWORD: SECRET,
    ...env,
  };
  const code = await runPlugin(plugin, { env: fullEnv, argv, cwd: workspace, ...out.streams });
  return { code, out, calls, workspace };
}

function expectNoSecret(text: string) {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(encodeURIComponent(SECRET));
  expect(text).not.toContain(Buffer.from(`ci:${SECRET}`).toString("base64"));
}

describe("runPlugin", () => {
  it("prints --help with every setting, the common ones too, and runs nothing", async () => {
    const { code, out, calls } = await start({}, ["--help"]);
    expect(code).toBe(0);
    expect(out.stdout).toContain("fake-mail: Mails the build status");
    for (const name of [
      "recipients",
      "port",
      "host",
      "username",
      "password",
      "outcome",
      "dry_run",
      "debug",
    ]) {
      expect(out.stdout).toContain(`  ${name}  (`);
    }
    expect(out.stdout).toContain("[default: 587]");
    expect(out.stdout).toContain("also from: HANGAR_DRY_RUN");
    expect(out.stdout).toContain(`Docs: ${DOCS_BASE_URL}/fake-mail.md`);
    expect(calls).toMatchObject({ check: 0, plan: 0, run: 0 });
    expectNoSecret(out.all);
  });

  it("exits 2 on bad settings, printing every problem, before anything runs", async () => {
    const { code, out, calls } = await start({
      PLUGIN_RECIPIENTS: "dev@example.com,not-an-address",
      PLUGIN_PORT: "70000",
      PLUGIN_OUTCOME: "explode",
      PLUGIN_PASSWORD: "",
      PLUGIN_DRY_RUN: "maybe",
    });
    expect(code).toBe(EXIT_BAD_SETTINGS);
    expect(calls).toMatchObject({ plan: 0, run: 0 });
    expect(out.stdout).toBe("");
    const lines = out.stderr;
    expect(lines).toContain("5 settings must be fixed before anything can run:");
    expect(lines).toContain('  - recipients: has invalid item "not-an-address"');
    expect(lines).toContain(
      '  - port: must be a whole number from 1 to 65535; got "70000" [E_SETTING_RANGE]',
    );
    expect(lines).toContain(
      '  - outcome: must be one of send, refused, hangar-error, bug, leak; got "explode"',
    );
    expect(lines).toContain("  - dry_run: must be one of true, yes, on, 1, false, no, off, 0");
    // The cross-setting check runs too, and its problem is listed with the others.
    expect(calls.check).toBe(1);
    expect(lines).toContain("  - password: is required when username is set [E_SETTING_REQUIRED]");
    expect(lines).toContain(`      ${DOCS_BASE_URL}/fake-mail.md#setting-port`);
    expect(lines).toContain(`      ${DOCS_BASE_URL}/fake-mail.md#setting-password`);
  });

  it("redacts a secret that a check reports as the offending value", async () => {
    const { code, out } = await start({ PLUGIN_USERNAME: "weak" });
    expect(code).toBe(EXIT_BAD_SETTINGS);
    expect(out.stderr).toContain(
      '  - password: is too easy to guess; got "[secret, redacted]" [E_SETTING_WEAK]',
    );
    expectNoSecret(out.all);
  });

  it("warns about unknown settings and still runs", async () => {
    const { code, out } = await start({ PLUGIN_RECIPENTS: "x@example.com" });
    expect(code).toBe(0);
    expect(out.stderr).toContain(
      '! warning: unknown setting "recipents" (PLUGIN_RECIPENTS) is ignored: did you mean "recipients"?',
    );
  });

  it("prints the plan on dry_run and does not run it", async () => {
    for (const env of [{ PLUGIN_DRY_RUN: "true" }, { HANGAR_DRY_RUN: "yes" }] as Record<string, string>[]) {
      const { code, out, calls, workspace } = await start(env);
      expect(code).toBe(0);
      expect(calls).toMatchObject({ plan: 1, run: 0 });
      expect(out.stdout).toContain("── fake-mail: dry run, nothing is changed\n");
      expect(out.stdout).toContain(
        "would mail dev@example.com, ops@example.com\nvia 127.0.0.1:587 as ci with ****\n",
      );
      await expect(readFile(path.join(workspace, ".hangar/outputs.env"), "utf8")).rejects.toThrow(/ENOENT/);
      await expect(readFile(path.join(workspace, "card.json"), "utf8")).rejects.toThrow(/ENOENT/);
      expectNoSecret(out.all);
    }
  });

  it("runs, writes prefixed outputs and the card, and ends with the summary", async () => {
    const { code, out, calls, workspace } = await start({ PLUGIN_DEBUG: "true" });
    expect(code).toBe(0);
    expect(calls.run).toBe(1);
    expect(out.stdout).toContain(
      "+ node -e 'console.error('\\''stderr of the tool'\\'')' -- --password=****\n",
    );
    expect(out.stdout).toContain("· outputs: FAKE_MAIL_MESSAGE_ID, FAKE_MAIL_SERVER_URL\n");
    expect(out.stdout).toMatch(/✔ mailed 2 recipients\n$/);
    const outputs = JSON.parse(await readFile(path.join(workspace, ".hangar/outputs.json"), "utf8"));
    expect(outputs).toEqual({
      HANGAR_OUTPUTS_BUILD: "acme/calchat#42@9f3c2a17b0e4d5c6a7b8c9d0e1f2a3b4c5d6e7f8",
      FAKE_MAIL_MESSAGE_ID: "<42@example.com>",
      FAKE_MAIL_SERVER_URL: "smtp://ci:****@x",
    });
    expect(await readFile(path.join(workspace, ".hangar/outputs.env"), "utf8")).toContain(
      "FAKE_MAIL_MESSAGE_ID='<42@example.com>'\n",
    );
    const card = JSON.parse(await readFile(path.join(workspace, "card.json"), "utf8"));
    expect(card).toEqual({
      schema: CARD_TEMPLATE_URL,
      data: { title: "Mail sent", status: "success", facts: [{ name: "Password", value: "****" }] },
    });
    expectNoSecret(out.all);
  });

  it("gives the run its runtime: context, exec, fetch, clock and a cancellation signal", async () => {
    const workspace = await tempDir();
    const out = capture();
    const { plugin, calls } = fakePlugin();
    const controller = new AbortController();
    const fakeFetch = (async () => new Response("ok")) as typeof fetch;
    const now = () => new Date("2030-01-01T00:00:00Z");
    const execs: string[][] = [];
    const code = await runPlugin(plugin, {
      env: { DRONE: "true", DRONE_BRANCH: "main", PLUGIN_RECIPIENTS: "dev@example.com" },
      argv: [],
      cwd: workspace,
      ...out.streams,
      fetch: fakeFetch,
      now,
      signal: controller.signal,
      exec: async (file, args) => {
        execs.push([file, ...args]);
        return { stdout: "", stderr: "", exitCode: 0 };
      },
    });
    expect(code).toBe(0);
    const runtime = calls.runtime;
    expect(runtime?.build).toMatchObject({ ci: "drone", workspace, commit: { branch: "main" } });
    expect(runtime?.fetch).toBe(fakeFetch);
    expect(runtime?.now()).toEqual(new Date("2030-01-01T00:00:00Z"));
    expect(execs).toHaveLength(1);
    expect(runtime?.signal.aborted).toBe(false);
    controller.abort();
    expect(runtime?.signal.aborted).toBe(true);
  });

  it("expands ${VAR} in settings from an earlier step's outputs of this build, never from a committed file", async () => {
    const build = {
      DRONE: "true",
      DRONE_REPO: "acme/calchat",
      DRONE_BUILD_NUMBER: "42",
      DRONE_COMMIT_SHA: "9f3c2a17b0e4d5c6a7b8c9d0e1f2a3b4c5d6e7f8",
    };
    const settings = {
      PLUGIN_RECIPIENTS: "dev@example.com",
      PLUGIN_HOST: "${PROXMOX_VM_IP}",
      PLUGIN_DRY_RUN: "true",
    };
    const workspace = await tempDir();
    await writeOutputs(readContext(build, workspace), { PROXMOX_VM_IP: "10.9.8.7" });
    const runFrom = async (env: Record<string, string>) => {
      const out = capture();
      const code = await runPlugin(fakePlugin().plugin, { env, argv: [], cwd: workspace, ...out.streams });
      return { code, out };
    };
    const earlier = await runFrom({ ...build, ...settings });
    expect(earlier.code).toBe(0);
    expect(earlier.out.stdout).toContain("via 10.9.8.7:587");

    // The same file in the next commit's build: what the repository holds, not what a step wrote.
    const next = await runFrom({ ...build, ...settings, DRONE_COMMIT_SHA: "a".repeat(40) });
    expect(next.code).toBe(EXIT_BAD_SETTINGS);
    expect(next.out.stderr).toContain(".hangar/outputs.json is ignored: no step of this build wrote it");
    expect(next.out.stderr).toContain(
      "${PROXMOX_VM_IP} is not expanded: no earlier step of this build wrote it",
    );
    expect(next.out.all).not.toContain("10.9.8.7");
  });

  it("exits 1 when the run says ok: false, after writing outputs and card", async () => {
    const { code, out, workspace } = await start({ PLUGIN_OUTCOME: "refused" });
    expect(code).toBe(EXIT_FAILED);
    expect(out.stderr).toContain("✖ server refused the mail for ****\n");
    expect(JSON.parse(await readFile(path.join(workspace, ".hangar/outputs.json"), "utf8"))).toHaveProperty(
      "FAKE_MAIL_MESSAGE_ID",
    );
    expect(JSON.parse(await readFile(path.join(workspace, "card.json"), "utf8")).data.title).toBe(
      "Mail sent",
    );
    expectNoSecret(out.all);
  });

  it("exits 1 on a HangarError, printing its message, code, hint and docs link, without a stack", async () => {
    const { code, out } = await start({ PLUGIN_OUTCOME: "hangar-error" });
    expect(code).toBe(EXIT_FAILED);
    expect(out.stderr).toContain("✖ 550 rejected for **** [E_SMTP_REJECTED]\n");
    expect(out.stderr).toMatch(/^.* {2}Check the recipients' addresses\.$/m);
    expect(out.stderr).toMatch(new RegExp(`^.*  ${DOCS_BASE_URL}/fake-mail\\.md#troubleshooting$`, "m"));
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expectNoSecret(out.all);
  });

  it("exits 1 on an unexpected error and prints its stack", async () => {
    const { code, out } = await start({ PLUGIN_OUTCOME: "bug" });
    expect(code).toBe(EXIT_FAILED);
    expect(out.stderr).toContain(
      "✖ unexpected error, please report it: TypeError: cannot read 'id' of undefined (password ****)\n    at ",
    );
    expect(out.stderr).toMatch(/main\.test\.ts:\d+:\d+/);
    expectNoSecret(out.all);
  });

  it("masks a secret that a failing command printed", async () => {
    const { code, out } = await start({ PLUGIN_OUTCOME: "leak" });
    expect(code).toBe(EXIT_FAILED);
    expect(out.stderr).toContain("✖ sh exited with code 5:\nauth failed for **** [E_COMMAND]\n");
    expectNoSecret(out.all);
  });

  it("masks a secret given through its env fallback, and in the debug lines", async () => {
    const { code, out } = await start({ PLUGIN_PASSWORD: "", SMTP_PASSWORD: SECRET, HANGAR_DEBUG: "1" });
    expect(code).toBe(0);
    expect(out.stdout).toContain("· planning with ****\n");
    expect(out.stdout).toContain("logging in with ****\n");
    expectNoSecret(out.all);
  });

  it("writes the card to the log on /dev/stdout, masked", async () => {
    const { code, out } = await start({ DRONE_CARD_PATH: "/dev/stdout" });
    expect(code).toBe(0);
    const card = cardFromLog(out.stdout) as { data: { facts: unknown } };
    expect(card.data.facts).toEqual([{ name: "Password", value: "****" }]);
  });
});

type RunOnly = PluginDefinition<Record<string, never>, null>["run"];

/** A plugin with no settings and nothing to plan whose run is `run`, run on Drone. */
async function runOnly(run: RunOnly, env: Record<string, string>, signal?: AbortSignal) {
  const out = capture();
  const plugin = {
    name: "run-only",
    description: "runs",
    settings: {},
    plan: () => null,
    describe: () => "run",
    run,
  };
  const code = await runPlugin(plugin, {
    env: { DRONE: "true", ...env },
    argv: [],
    cwd: await tempDir(),
    ...out.streams,
    ...(signal ? { signal } : {}),
  });
  return { code, out };
}

describe("step_timeout", () => {
  it("cancels the run when the whole step passes it, and clean-up still gets its grace", async () => {
    const seen: string[] = [];
    const started = Date.now();
    const { code, out } = await runOnly(
      async (_plan, { signal, cleanupSignal }) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        seen.push(`cleanup aborted: ${cleanupSignal.aborted}`);
        throw signal.reason;
      },
      { PLUGIN_STEP_TIMEOUT: "1s" },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(code).toBe(EXIT_FAILED);
    expect(seen).toEqual(["cleanup aborted: false"]);
    expect(out.stderr).toContain("the step ran past its step_timeout of 1s [E_STEP_TIMEOUT]");
  });
});

describe("a library's AbortError after a cancel", () => {
  it("is reported as the cancel, not as an unexpected error", async () => {
    const controller = new AbortController();
    // A timer that takes the signal, as a library's would.
    const sleepUntilCancelled: RunOnly = async (_plan, { signal }) => {
      const { setTimeout: sleep } = await import("node:timers/promises");
      setTimeout(
        () => controller.abort(new StepFailed("the step was cancelled", { code: "E_CANCELLED" })),
        50,
      );
      await sleep(10_000, undefined, { signal });
      return {};
    };
    const { code, out } = await runOnly(sleepUntilCancelled, {}, controller.signal);
    expect(code).toBe(EXIT_FAILED);
    expect(out.stderr).toBe("✖ the step was cancelled [E_CANCELLED]\n");
  });
});

describe("main", () => {
  const mainUrl = new URL("../src/main.ts", import.meta.url).href;

  /** A plugin process, as the bundle's entry point runs it. */
  function runProcess(
    source: string,
    env: Record<string, string>,
    onStdout?: (text: string, kill: () => void) => void,
  ) {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 15_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, () => child.kill("SIGTERM"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  const source = (run: string) => `
    import { main } from ${JSON.stringify(mainUrl)};
    await main({
      name: "proc",
      description: "a plugin process",
      settings: {},
      plan: () => ({}),
      describe: () => "nothing",
      run: ${run},
    });
  `;

  it("sets the process exit code", async () => {
    const ok = await runProcess(source("async () => ({ summary: 'done' })"), {});
    expect(ok).toMatchObject({ code: 0, stdout: "✔ done\n" });
    const bad = await runProcess(source("async () => ({})"), { PLUGIN_DRY_RUN: "perhaps" });
    expect(bad.code).toBe(EXIT_BAD_SETTINGS);
    expect(bad.stderr).toContain("dry_run: must be one of");
  });

  it("aborts the run's signal on SIGTERM and reports the cancellation", async () => {
    const run = `async (_plan, { signal, log }) => {
      log.info("waiting");
      // A real run waits on a socket or a child process; a timer keeps this one alive the same way.
      const alive = setInterval(() => {}, 1000);
      try {
        await new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      } finally {
        clearInterval(alive);
      }
    }`;
    const result = await runProcess(source(run), {}, (stdout, kill) => {
      if (stdout === "waiting\n") kill();
    });
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.stderr).toBe("✖ the step was cancelled [E_CANCELLED]\n");
  });

  it("gives clean-up the grace period after SIGTERM, under its own signal", async () => {
    const run = `async (_plan, { signal, cleanupSignal, log }) => {
      log.info("waiting");
      const alive = setInterval(() => {}, 1000);
      try {
        await new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      } catch (error) {
        // The rollback a cancelled deploy owes its host: still allowed to run, not yet aborted.
        log.info(\`cleaning up, cleanup aborted: \${cleanupSignal.aborted}\`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        log.info(\`cleaned up, cleanup aborted: \${cleanupSignal.aborted}\`);
        throw error;
      } finally {
        clearInterval(alive);
      }
    }`;
    const result = await runProcess(source(run), { HANGAR_CANCEL_GRACE: "5s" }, (stdout, kill) => {
      if (stdout === "waiting\n") kill();
    });
    expect(result.stdout).toBe(
      "waiting\ncleaning up, cleanup aborted: false\ncleaned up, cleanup aborted: false\n",
    );
    expect(result.code).toBe(EXIT_FAILED);
  });

  it("exits within the grace period when the run ignores the cancel", async () => {
    // A client library that never looks at the signal (a socket answering one byte a second).
    const run = `async (_plan, { log }) => {
      log.info("waiting");
      await new Promise((resolve) => setInterval(() => {}, 1000));
    }`;
    const started = Date.now();
    let killedAt = 0;
    const result = await runProcess(source(run), { HANGAR_CANCEL_GRACE: "2s" }, (stdout, kill) => {
      if (stdout === "waiting\n") {
        killedAt = Date.now();
        kill();
      }
    });
    expect(killedAt).toBeGreaterThan(started);
    const exitedAfter = Date.now() - killedAt;
    expect(exitedAfter).toBeGreaterThanOrEqual(1_900);
    expect(exitedAfter).toBeLessThan(6_000);
    expect(result.code).toBe(143);
    expect(result.stderr).toContain("clean-up did not finish within 2s; exiting");
  });
});
