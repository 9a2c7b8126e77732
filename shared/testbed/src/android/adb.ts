import { spawn } from "node:child_process";
import { alive, SdkState } from "./state.ts";

/**
 * Stand-in for `adb`, on the transcript of the real one: the server it forks on first use
 * (`* daemon not running; starting now at tcp:5037`), `wait-for-device` blocking, `device
 * offline` while the guest comes up, `getprop` answering "0" then "1", `install`'s `Success`,
 * a `logcat` that streams until the device goes, `emu kill` and `kill-server`.
 */

const state = SdkState.fromEnv();
const argv = process.argv.slice(2);

if (argv[0] === "fork-server") {
  // The daemon itself: stays until `adb kill-server` or a signal.
  state.spawned("adb server");
  state.write("server.pid", String(process.pid));
  setInterval(() => {}, 60_000);
  process.on("SIGTERM", () => process.exit(0));
} else {
  await main(argv);
}

async function main(args: string[]): Promise<void> {
  state.record("adb", args);
  const scenario = state.scenario;
  let serial: string | undefined;
  if (args[0] === "-s") {
    serial = args[1];
    args = args.slice(2);
  }
  const [command, ...rest] = args;
  if (command === "kill-server") {
    await sleep(scenario.slowKillServerMs ?? 0);
    const pid = Number(state.read("server.pid") ?? "0");
    if (pid && alive(pid)) process.kill(pid, "SIGTERM");
    for (let waited = 0; pid && alive(pid) && waited < 2_000; waited += 20) await sleep(20);
    state.remove("server.pid");
    return;
  }
  await ensureServer(scenario.serverDiesAfterCalls);
  const device = state.read("device");
  const matches = device !== undefined && (serial === undefined || serial === device);

  switch (command) {
    case "devices":
      out(`List of devices attached\n${device ? `${device}\tdevice\n` : ""}`);
      return;
    case "wait-for-device":
      state.spawned("adb wait-for-device");
      while (state.read("device") === undefined || (serial && state.read("device") !== serial))
        await sleep(50);
      return;
    case "emu":
      if (!matches || rest[0] !== "kill") return fail("error: no emulator detected");
      state.bump("emu-kill");
      out("OK: killing emulator, bye bye\n");
      return;
    case "shell":
      return shell(rest, matches, serial ?? device ?? "");
    case "install": {
      if (!matches) return fail(`adb: device '${serial}' not found`);
      if (!isBooted()) return fail("adb: failed to install: cmd: Can't find service: package");
      out("Performing Streamed Install\n");
      if (scenario.installFailure) {
        out(`adb: failed to install ${rest.at(-1)}: Failure [${scenario.installFailure}]\n`);
        process.exit(1);
      }
      out("Success\n");
      return;
    }
    case "logcat":
      return logcat(rest, matches);
    default:
      return fail(`adb: unknown command ${command}`);
  }
}

function shell(args: string[], matches: boolean, serial: string): void {
  const scenario = state.scenario;
  if (!matches) fail(`error: device '${serial}' not found`);
  const line = args.join(" ");
  if (line.startsWith("getprop sys.boot_completed")) {
    const poll = state.bump("boot-polls");
    if (poll <= (scenario.offlinePolls ?? 1)) fail("error: device offline");
    if (scenario.neverBoots || poll <= (scenario.offlinePolls ?? 1) + (scenario.bootPolls ?? 3)) {
      out("\n");
      return;
    }
    state.write("booted", "1");
    out("1\n");
    return;
  }
  if (line.startsWith("getprop init.svc.bootanim")) {
    out(isBooted() ? "stopped\n" : "running\n");
    return;
  }
  if (!isBooted()) fail("error: device offline");
  if (/^input keyevent \d+$/.test(line) || /^settings put global \w+ [\d.]+$/.test(line)) return;
  fail(`/system/bin/sh: ${args[0]}: inaccessible or not found`);
}

async function logcat(args: string[], matches: boolean): Promise<void> {
  if (!matches) return fail("- waiting for device -");
  if (args.includes("-d")) {
    out(
      "--------- beginning of main\n01-01 00:00:01.000   100   100 I init    : starting service 'zygote'...\n",
    );
    return;
  }
  state.spawned("adb logcat");
  let n = 0;
  while (state.read("device") !== undefined) {
    out(
      `01-01 00:00:${String(n % 60).padStart(2, "0")}.000  ${1000 + n}  ${1000 + n} I ActivityManager: line ${n}\n`,
    );
    n++;
    await sleep(200);
  }
}

/** The first adb command starts the daemon, as the real client does, and says so on stderr. */
async function ensureServer(diesAfter: number | undefined): Promise<void> {
  const pid = Number(state.read("server.pid") ?? "0");
  const calls = state.bump("adb-calls");
  if (pid && alive(pid)) {
    if (diesAfter !== undefined && calls === diesAfter) {
      process.kill(pid, "SIGKILL");
      state.remove("server.pid");
      fail("adb: error: protocol fault (couldn't read status): Connection reset by peer");
    }
    return;
  }
  process.stderr.write("* daemon not running; starting now at tcp:5037\n");
  const child = spawn(process.execPath, [process.argv[1] as string, "fork-server"], {
    detached: true,
    stdio: "ignore",
    env: process.env,
  });
  child.unref();
  // Like the real client, wait until the daemon answers before going on.
  for (let waited = 0; !state.exists("server.pid") && waited < 3_000; waited += 20) await sleep(20);
  process.stderr.write("* daemon started successfully\n");
}

function isBooted(): boolean {
  return state.exists("booted") && state.exists("device");
}

function out(text: string): void {
  process.stdout.write(text);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
