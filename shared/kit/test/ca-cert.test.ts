import { symlink } from "node:fs/promises";
import path from "node:path";
import { tempWorkspace } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { caCertProblem, readCaCert } from "../src/ca-cert.ts";
import type { SettingProblem } from "../src/errors.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const problem = (setting: string, code: string, message: string, value?: string): SettingProblem => ({
  setting,
  code,
  message,
  ...(value === undefined ? {} : { value }),
});

const workspace = await tempWorkspace("ca-cert", {
  files: { "ca.pem": PEM, "notes.txt": "not a certificate", "big.pem": `${PEM}${"x".repeat(1024 * 1024)}` },
});
await symlink("/etc/hostname", path.join(workspace.dir, "outside.pem"));
afterAll(() => workspace.remove());

describe("ca_cert, as every plugin reads it", () => {
  it("is PEM text or a workspace file holding it", async () => {
    expect(await readCaCert(workspace.dir, PEM)).toBe(PEM);
    expect(await readCaCert(workspace.dir, "ca.pem")).toBe(PEM);
    expect(await caCertProblem(problem, workspace.dir, "ca.pem")).toBeUndefined();
  });

  it.each([
    ["notes.txt", "E_SETTING_INVALID", /holds no PEM certificate/],
    ["file://missing.pem", "E_FILE_NOT_FOUND", /cannot be read: .*missing\.pem/],
    ["outside.pem", "E_PATH_OUTSIDE_WORKSPACE", /cannot be read/],
    ["big.pem", "E_FILE_TOO_LARGE", /over the 1\.0 MiB/],
  ])("%s is the setting's problem (%s), named before any connection", async (file, code, message) => {
    const found = await caCertProblem(problem, workspace.dir, file);
    expect(found).toMatchObject({ setting: "ca_cert", code, value: file });
    expect(found?.message).toMatch(message);
    expect(found?.message).not.toMatch(/^ca_cert: /);
  });
});
