import { describe, expect, it } from "vitest";
import { DOCS_BASE_URL, docsLink, settingAnchor } from "../src/docs-link.ts";
import { errorMessage, fileProblem, HangarError, SettingsError, StepFailed } from "../src/errors.ts";

describe("errors", () => {
  it("HangarError keeps its code, hint, docs link and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new HangarError("E_SMTP_CONNECT", "cannot reach 127.0.0.1:25", {
      hint: "Check host and port.",
      docs: docsLink("notify-email", "host"),
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "HangarError",
      code: "E_SMTP_CONNECT",
      hint: "Check host and port.",
    });
    expect(error.docs).toBe(`${DOCS_BASE_URL}/notify-email.md#setting-host`);
    expect(error.cause).toBe(cause);
    expect(new HangarError("E_X", "x").hint).toBeUndefined();
  });

  it("SettingsError counts its problems", () => {
    const problem = { code: "E_SETTING_REQUIRED", setting: "host", message: "is required" };
    expect(new SettingsError([problem]).message).toBe("1 setting must be fixed before anything can run");
    const error = new SettingsError([problem, problem]);
    expect(error.message).toBe("2 settings must be fixed before anything can run");
    expect(error).toMatchObject({ code: "E_SETTINGS", problems: [problem, problem] });
    expect(error).toBeInstanceOf(HangarError);
  });

  it("StepFailed has a default code or the one given", () => {
    expect(new StepFailed("checks failed").code).toBe("E_STEP_FAILED");
    expect(new StepFailed("refused", { code: "E_REFUSED", hint: "h" })).toMatchObject({
      code: "E_REFUSED",
      hint: "h",
    });
  });

  it("errorMessage reads errors and anything else", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("text")).toBe("text");
    expect(errorMessage(42)).toBe("42");
  });
});

describe("fileProblem", () => {
  it("turns a refused file into its setting's problem, with the reader's code and without the repeated name", () => {
    const problem = (setting: string, code: string, message: string, value?: string) => ({
      setting,
      code,
      message,
      value,
    });
    const refused = new HangarError("E_PATH_OUTSIDE_WORKSPACE", "notes: ../x is outside the workspace /w");
    expect(fileProblem(problem, "notes", refused, "../x")).toEqual({
      setting: "notes",
      code: "E_PATH_OUTSIDE_WORKSPACE",
      message: "cannot be read: ../x is outside the workspace /w",
      value: "../x",
    });
    expect(fileProblem(problem, "ca_cert", new Error("EACCES"), "ca.pem").code).toBe("E_SETTING_FILE");
  });
});

describe("docs links", () => {
  it("link a setting's anchor on the plugin's page", () => {
    expect(DOCS_BASE_URL).toBe("https://github.com/hangar-ci/hangar/blob/main/docs");
    expect(docsLink("k3s-deploy")).toBe(`${DOCS_BASE_URL}/k3s-deploy.md`);
    expect(settingAnchor("from.address")).toBe("setting-from-address");
    expect(settingAnchor("Skip_Verify")).toBe("setting-skip_verify");
  });
});
