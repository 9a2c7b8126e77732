import { describe, expect, it } from "vitest";
import { CommandFailed, createExec } from "../src/exec.ts";
import { Logger } from "../src/log.ts";
import { capture, tempDir } from "./helpers.ts";

function setup() {
  const out = capture();
  const log = new Logger(out.streams);
  return { out, log, exec: createExec(log) };
}

async function failure(promise: Promise<unknown>): Promise<CommandFailed> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CommandFailed);
    return error as CommandFailed;
  }
  throw new Error("expected the command to fail");
}

describe("exec", () => {
  it("passes arguments as they are, with no shell to interpret them", async () => {
    const { exec } = setup();
    const tricky = ["$(echo pwned)", "`id`", "a b", "; rm -rf /", "'\"", "*"];
    const result = await exec("sh", ["-c", 'printf "%s\\n" "$@"', "sh", ...tricky]);
    expect(result.stdout.split("\n")).toEqual(tricky);
    expect(result).toMatchObject({ stderr: "", exitCode: 0 });
  });

  it("prints a `+ cmd args` trace, quoted where needed, before running", async () => {
    const { exec, out } = setup();
    await exec("node", ["-e", "0", "--", "plain", "two words", "it's"]);
    expect(out.stdout).toBe(`+ node -e 0 -- plain 'two words' 'it'\\''s'\n`);
  });

  it("masks secrets in the trace", async () => {
    const { exec, out, log } = setup();
    const secret = "registry-password-123";
    log.mask.add(secret);
    await exec("node", ["-e", "0", "--", `--password=${secret}`]);
    expect(out.stdout).toBe("+ node -e 0 -- --password=****\n");
  });

  it("leaves the trace out when quiet", async () => {
    const { exec, out } = setup();
    await exec("node", ["-e", "0"], { quiet: true });
    expect(out.all).toBe("");
  });

  it("writes `input` to stdin, the way to pass a password", async () => {
    const { exec } = setup();
    const result = await exec("node", ["-e", "process.stdin.pipe(process.stdout)"], {
      input: "line one\nline two",
    });
    expect(result.stdout).toBe("line one\nline two");
  });

  it("runs in the given directory with the given extra environment", async () => {
    const { exec } = setup();
    const dir = await tempDir();
    const result = await exec("sh", ["-c", 'pwd; echo "$HANGAR_TEST_VAR"; test -n "$PATH" && echo path'], {
      cwd: dir,
      env: { HANGAR_TEST_VAR: "from the test" },
    });
    expect(result.stdout.split("\n")).toEqual([
      expect.stringMatching(/hangar-kit-/),
      "from the test",
      "path",
    ]);
  });

  it("throws CommandFailed with the exit code and the tail of stderr", async () => {
    const { exec } = setup();
    const script = 'for i in $(seq 1 30); do echo "err $i" >&2; done; echo out; exit 3';
    const error = await failure(exec("sh", ["-c", script]));
    expect(error.code).toBe("E_COMMAND");
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/^sh exited with code 3:\nerr 11\n/);
    expect(error.message).toMatch(/err 30$/);
    expect(error.message).not.toMatch(/err 10\n/);
    expect(error.message).not.toContain("out");
    expect(error.stderr.split("\n")).toHaveLength(30);
  });

  it("says when a program cannot be run at all", async () => {
    const { exec } = setup();
    const error = await failure(exec("hangar-no-such-program", ["--version"]));
    expect(error.exitCode).toBeUndefined();
    expect(error.message).toMatch(/^hangar-no-such-program could not run \(.*ENOENT/);
  });

  it("stops a command at its timeout", async () => {
    const { exec } = setup();
    const started = Date.now();
    const error = await failure(exec("node", ["-e", "setTimeout(() => {}, 30000)"], { timeoutMs: 200 }));
    expect(error.message).toBe("node timed out after 200 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops a command when the signal aborts", async () => {
    const { exec } = setup();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(
      exec("node", ["-e", "setTimeout(() => {}, 30000)"], { signal: controller.signal }),
    );
    expect(error.message).toBe("node was cancelled");
  });
});
