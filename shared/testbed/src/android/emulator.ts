import { SdkState } from "./state.ts";

/**
 * Stand-in for `emulator`. Follows the real tool's transcript: `-accel-check`, `-list-avds`,
 * `-avd <name> -port <port> …` printing its boot lines, registering with adb after a moment,
 * and shutting down on the console's `kill` (which `adb emu kill` sends).
 */

const state = SdkState.fromEnv();
const args = process.argv.slice(2);
state.record("emulator", args);
const scenario = state.scenario;

if (args[0] === "-accel-check") {
  if (scenario.kvm === false) {
    process.stdout.write(
      "accel:\n8\n/dev/kvm is not found: VT disabled in BIOS or KVM kernel module not loaded\naccel\n",
    );
    process.exit(1);
  }
  process.stdout.write("accel:\n0\nKVM (version 12) is installed and usable.\naccel\n");
  process.exit(0);
}
if (args[0] === "-list-avds") {
  process.stdout.write(
    state
      .avds()
      .map((avd) => `${avd}\n`)
      .join(""),
  );
  process.exit(0);
}

const avd = flagValue("-avd");
const port = flagValue("-port") ?? "5554";
if (!avd || !state.avds().includes(avd)) {
  process.stderr.write(`PANIC: Unknown AVD name [${avd}], use -listavds to see valid list.\n`);
  process.exit(1);
}
if (scenario.kvm === false) {
  process.stderr.write(
    "ERROR   | x86_64 emulation currently requires hardware acceleration!\nCPU acceleration status: /dev/kvm is not found\n",
  );
  process.exit(1);
}
state.spawned("emulator");
state.write("emulator.pid", String(process.pid));
// A guest boots anew each time: the polls of an earlier run's boot are not this one's.
state.remove("boot-polls");
state.remove("booted");
const log = (line: string) => process.stdout.write(`INFO    | ${line}\n`);
log("Android emulator version 35.2.10.0 (build_id 12414864) (CL:N/A)");
log(`Found AVD name '${avd}'`);
log(`Found AVD target architecture: x86_64`);
log("Booting the guest (no window)");

// `adb emu kill` requests are counted in the SDK's state; those sent to an emulator of an earlier
// run (the same SDK used by several builds) are not for this one.
const killsBefore = Number(state.read("emu-kill") ?? "0");
let kills = killsBefore;
let shuttingDown = false;
const shutdown = (why: string) => {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`Shutting down: ${why}`);
  state.remove("device");
  state.remove("booted");
  state.remove("emulator.pid");
  setTimeout(() => process.exit(0), 50);
};
setTimeout(() => {
  state.write("device", `emulator-${port}`);
  log(`Serial number of this emulator (for ADB): emulator-${port}`);
}, scenario.registerDelayMs ?? 300);
const timer = setInterval(() => {
  const requests = Number(state.read("emu-kill") ?? "0");
  if (requests > kills) {
    kills = requests;
    if (scenario.ignoreFirstKill && kills - killsBefore === 1) {
      log("console: kill acknowledged; the guest is still shutting down");
      return;
    }
    clearInterval(timer);
    shutdown("console kill");
  }
}, 50);
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

function flagValue(flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}
