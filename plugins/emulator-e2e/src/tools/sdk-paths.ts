import path from "node:path";

/** The SDK's standard layout, as `sdkmanager` installs it. */
export interface SdkTools {
  root: string;
  adb: string;
  emulator: string;
  sdkmanager: string;
  avdmanager: string;
}

export function sdkTools(root: string): SdkTools {
  return {
    root,
    adb: path.posix.join(root, "platform-tools", "adb"),
    emulator: path.posix.join(root, "emulator", "emulator"),
    sdkmanager: path.posix.join(root, "cmdline-tools", "latest", "bin", "sdkmanager"),
    avdmanager: path.posix.join(root, "cmdline-tools", "latest", "bin", "avdmanager"),
  };
}
