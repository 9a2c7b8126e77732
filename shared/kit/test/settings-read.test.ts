// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${VAR} references are what these tests are about
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readContext } from "../src/context.ts";
import { DOCS_BASE_URL, settingAnchor } from "../src/docs-link.ts";
import { Masker } from "../src/mask.ts";
import type { Outputs } from "../src/outputs.ts";
import { type SettingsSchema, settings } from "../src/settings/define.ts";
import { readSettings } from "../src/settings/read.ts";

type Env = Record<string, string | undefined>;

const DRONE_BUILD: Env = {
  DRONE: "true",
  DRONE_BUILD_NUMBER: "42",
  DRONE_BUILD_EVENT: "push",
  DRONE_BRANCH: "feature/Login_Page",
  DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
  DRONE_REPO: "acme/shop",
};

function read<S extends SettingsSchema>(schema: S, env: Env, outputs: Outputs = {}) {
  const masker = new Masker();
  const fullEnv = { ...DRONE_BUILD, ...env };
  const result = readSettings({
    plugin: "notify-email",
    schema,
    env: fullEnv,
    context: readContext(fullEnv, "/drone/src"),
    outputs,
    masker,
  });
  return { ...result, masker };
}

const mail = {
  "from.address": settings.string(z.email())({
    description: "Sender",
    aliases: ["from_email"],
    env: ["MAIL_FROM"],
  }),
  recipients: settings.list(z.email())({ description: "Recipients" }),
  skip_verify: settings.boolean({ description: "Skip TLS verification", default: false }),
  port: settings.integer({ min: 1, max: 65535 })({ description: "SMTP port", default: 587 }),
  timeout: settings.duration()({ description: "Timeout", default: 30_000 }),
  security: settings.enum(["starttls", "tls", "none"])({ description: "Security", default: "starttls" }),
  when: settings.list({ choices: ["success", "failure"] })({ description: "When to send" }),
  headers: settings.map({ description: "Extra headers" }),
  password: settings.secret({ description: "SMTP password", env: ["SMTP_PASSWORD"] }),
};

describe("setting names", () => {
  it("reads Drone's spelling PLUGIN_FROM.ADDRESS", () => {
    const { values, problems, warnings } = read(mail, { "PLUGIN_FROM.ADDRESS": "ci@example.com" });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(values["from.address"]).toBe("ci@example.com");
  });

  it("reads Woodpecker's spelling PLUGIN_FROM_ADDRESS", () => {
    const { values, problems, warnings } = read(mail, { PLUGIN_FROM_ADDRESS: "ci@example.com" });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(values["from.address"]).toBe("ci@example.com");
  });

  it("reads a Woodpecker key whose dash became an underscore", () => {
    const schema = { "skip-verify": settings.boolean({ description: "skip" }) };
    expect(read(schema, { PLUGIN_SKIP_VERIFY: "true" }).values["skip-verify"]).toBe(true);
    expect(read(schema, { "PLUGIN_SKIP-VERIFY": "true" }).values["skip-verify"]).toBe(true);
  });

  it("reads an alias in either spelling, without a warning", () => {
    for (const key of ["PLUGIN_FROM_EMAIL", "PLUGIN_FROM.EMAIL"]) {
      const { values, warnings } = read(mail, { [key]: "old@example.com" });
      expect(values["from.address"]).toBe("old@example.com");
      expect(warnings).toEqual([]);
    }
  });

  it("prefers the setting's own name over an alias", () => {
    const { values } = read(mail, {
      PLUGIN_FROM_EMAIL: "old@example.com",
      PLUGIN_FROM_ADDRESS: "new@example.com",
    });
    expect(values["from.address"]).toBe("new@example.com");
  });

  it("falls back to an unprefixed env variable, and the PLUGIN_ setting wins over it", () => {
    expect(read(mail, { MAIL_FROM: "env@example.com" }).values["from.address"]).toBe("env@example.com");
    const both = read(mail, { MAIL_FROM: "env@example.com", PLUGIN_FROM_ADDRESS: "setting@example.com" });
    expect(both.values["from.address"]).toBe("setting@example.com");
  });

  it("treats empty values as unset: the fallback, the default, or `required` applies", () => {
    const empty = read(mail, { PLUGIN_FROM_ADDRESS: "", MAIL_FROM: "env@example.com", PLUGIN_PORT: "  " });
    expect(empty.problems).toEqual([]);
    expect(empty.values["from.address"]).toBe("env@example.com");
    expect(empty.values.port).toBe(587);

    const schema = { host: settings.string()({ description: "host", required: true, env: ["SSH_HOST"] }) };
    const missing = read(schema, { PLUGIN_HOST: " ", SSH_HOST: "" });
    expect(missing.problems.map((problem) => problem.code)).toEqual(["E_SETTING_REQUIRED"]);
    expect(missing.values).toEqual({});
  });

  it("gives defaults for settings not given, and leaves the rest undefined", () => {
    const { values } = read(mail, {});
    expect(values).toEqual({ skip_verify: false, port: 587, timeout: 30_000, security: "starttls" });
  });
});

describe("parsing through the schema", () => {
  it("parses every kind from its text form", () => {
    const { values, problems } = read(mail, {
      PLUGIN_RECIPIENTS: "a@example.com,b@example.com",
      PLUGIN_SKIP_VERIFY: "yes",
      PLUGIN_PORT: "465",
      PLUGIN_TIMEOUT: "1h30m",
      PLUGIN_SECURITY: "TLS",
      PLUGIN_WHEN: '["success","failure"]',
      PLUGIN_HEADERS: '{"X-Build":"42"}',
    });
    expect(problems).toEqual([]);
    expect(values).toMatchObject({
      recipients: ["a@example.com", "b@example.com"],
      skip_verify: true,
      port: 465,
      timeout: 5_400_000,
      security: "tls",
      when: ["success", "failure"],
      headers: { "X-Build": "42" },
    });
  });

  it("reports the code of each kind of bad value", () => {
    const cases: [Env, string][] = [
      [{ PLUGIN_SKIP_VERIFY: "maybe" }, "E_SETTING_BOOLEAN"],
      [{ PLUGIN_PORT: "smtp" }, "E_SETTING_INTEGER"],
      [{ PLUGIN_PORT: "0" }, "E_SETTING_RANGE"],
      [{ PLUGIN_TIMEOUT: "5 minutes" }, "E_SETTING_DURATION"],
      [{ PLUGIN_SECURITY: "ssl3" }, "E_SETTING_ENUM"],
      [{ PLUGIN_RECIPIENTS: "a@example.com,nope" }, "E_SETTING_LIST_ITEM"],
      [{ PLUGIN_WHEN: "always" }, "E_SETTING_LIST_ITEM"],
      [{ PLUGIN_HEADERS: '["X-Build"]' }, "E_SETTING_MAP"],
      [{ PLUGIN_FROM_ADDRESS: "not-an-address" }, "E_SETTING_INVALID"],
    ];
    for (const [env, code] of cases) {
      const { problems } = read(mail, env);
      expect(
        problems.map((problem) => problem.code),
        JSON.stringify(env),
      ).toEqual([code]);
    }
  });

  it("lists every accepted boolean word when one is wrong", () => {
    const [problem] = read(mail, { PLUGIN_SKIP_VERIFY: "maybe" }).problems;
    expect(problem?.message).toBe("must be one of true, yes, on, 1, false, no, off, 0");
  });

  it("names the variables a required setting is read from", () => {
    const schema = {
      token: settings.secret({
        description: "token",
        required: true,
        aliases: ["api_key"],
        env: ["GITEA_TOKEN"],
      }),
    };
    const [problem] = read(schema, {}).problems;
    expect(problem).toMatchObject({ code: "E_SETTING_REQUIRED", setting: "token", value: undefined });
    expect(problem?.message).toContain("PLUGIN_TOKEN");
    expect(problem?.message).toContain("PLUGIN_API_KEY");
    expect(problem?.message).toContain("GITEA_TOKEN");
  });
});

describe("problems", () => {
  const schema = {
    ...mail,
    smtp_host: settings.string()({ description: "SMTP host", required: true }),
  };

  it("collects every problem at once, each with code, setting, value and docs link", () => {
    const { problems, values } = read(schema, {
      PLUGIN_SKIP_VERIFY: "maybe",
      PLUGIN_PORT: "70000",
      "PLUGIN_FROM.ADDRESS": "nobody",
      PLUGIN_TIMEOUT: "5 minutes",
      PLUGIN_SECURITY: "tls",
    });
    expect(problems).toEqual([
      {
        code: "E_SETTING_INVALID",
        setting: "from.address",
        message: expect.any(String),
        value: "nobody",
        docs: `${DOCS_BASE_URL}/notify-email.md#setting-from-address`,
      },
      {
        code: "E_SETTING_BOOLEAN",
        setting: "skip_verify",
        message: expect.any(String),
        value: "maybe",
        docs: `${DOCS_BASE_URL}/notify-email.md#setting-skip_verify`,
      },
      {
        code: "E_SETTING_RANGE",
        setting: "port",
        message: expect.stringContaining("from 1 to 65535"),
        value: "70000",
        docs: `${DOCS_BASE_URL}/notify-email.md#setting-port`,
      },
      {
        code: "E_SETTING_DURATION",
        setting: "timeout",
        message: expect.any(String),
        value: "5 minutes",
        docs: `${DOCS_BASE_URL}/notify-email.md#setting-timeout`,
      },
      {
        code: "E_SETTING_REQUIRED",
        setting: "smtp_host",
        message: expect.stringContaining("PLUGIN_SMTP_HOST"),
        value: undefined,
        docs: `${DOCS_BASE_URL}/notify-email.md#setting-smtp_host`,
      },
    ]);
    for (const problem of problems)
      expect(problem.docs?.endsWith(`#${settingAnchor(problem.setting)}`)).toBe(true);
    // The settings that parsed are still there, for cross-setting checks.
    expect(values.security).toBe("tls");
  });

  it("echoes long values shortened", () => {
    const [problem] = read(schema, { PLUGIN_PORT: "9".repeat(200), PLUGIN_SMTP_HOST: "h" }).problems;
    expect(problem?.value).toBe(`${"9".repeat(80)}…`);
  });
});

describe("secrets", () => {
  const secretValue = "s3cr3t-Hunter2-value";

  it("registers a secret with the masker as soon as it is read, from PLUGIN_ or env", () => {
    const fromSetting = read(mail, { PLUGIN_PASSWORD: secretValue });
    expect(fromSetting.values.password).toBe(secretValue);
    expect(fromSetting.masker.apply(`pass=${secretValue}`)).toBe("pass=****");

    const fromEnv = read(mail, { SMTP_PASSWORD: secretValue });
    expect(fromEnv.values.password).toBe(secretValue);
    expect(fromEnv.masker.apply(secretValue)).toBe("****");
  });

  it("redacts an invalid secret in its problem, and still masks it", () => {
    const schema = {
      token: settings.string(z.string().regex(/^[0-9a-f]{40}$/, "must be 40 hex digits"))({
        description: "API token",
        secret: true,
      }),
      pin: settings.integer({ min: 1000, max: 9999 })({ description: "PIN", secret: true }),
    };
    const { problems, masker } = read(schema, { PLUGIN_TOKEN: secretValue, PLUGIN_PIN: "12345678" });
    expect(problems).toMatchObject([
      {
        code: "E_SETTING_INVALID",
        setting: "token",
        value: "[secret, redacted]",
        message: "must be 40 hex digits",
      },
      { code: "E_SETTING_RANGE", setting: "pin", value: "[secret, redacted]" },
    ]);
    expect(JSON.stringify(problems)).not.toContain(secretValue);
    expect(JSON.stringify(problems)).not.toContain("12345678");
    expect(masker.apply(`${secretValue} 12345678`)).toBe("**** ****");
  });

  it("does not quote the items of a secret list in its problem", () => {
    const schema = {
      bcc: settings.list(z.email())({ description: "hidden recipients", secret: true }),
    };
    const { problems, masker } = read(schema, { PLUGIN_BCC: "boss@example.com,private-person-name" });
    expect(problems).toMatchObject([
      { code: "E_SETTING_LIST_ITEM", setting: "bcc", value: "[secret, redacted]" },
    ]);
    expect(JSON.stringify(problems)).not.toContain("private-person-name");
    expect(masker.apply("mail to private-person-name")).not.toContain("private-person-name");
  });

  it("does not expand ${VAR} in secrets", () => {
    const { values } = read(mail, { PLUGIN_PASSWORD: "pa${HOME}ss", HOME: "/root" });
    expect(values.password).toBe("pa${HOME}ss");
  });
});

describe("unknown settings", () => {
  it("warns about a PLUGIN_ key no setting knows, suggesting the closest name", () => {
    const { warnings } = read(mail, {
      PLUGIN_RECIPENTS: "a@example.com",
      "PLUGIN_FROM.ADRESS": "x@example.com",
    });
    expect(warnings).toHaveLength(2);
    expect(warnings).toContainEqual(expect.stringContaining('"recipents" (PLUGIN_RECIPENTS) is ignored'));
    expect(warnings).toContainEqual(expect.stringContaining('did you mean "recipients"?'));
    expect(warnings).toContainEqual(expect.stringContaining('did you mean "from.address"?'));
  });

  it("warns without a guess when nothing is close", () => {
    const { warnings } = read(mail, { PLUGIN_KUBERNETES_CONTEXT: "prod" });
    expect(warnings).toEqual(['unknown setting "kubernetes_context" (PLUGIN_KUBERNETES_CONTEXT) is ignored']);
  });

  it("does not warn about settings, aliases or unprefixed variables", () => {
    const { warnings } = read(mail, {
      PLUGIN_FROM_EMAIL: "a@example.com",
      PLUGIN_PORT: "25",
      MAIL_FROM: "b@example.com",
      HOME: "/root",
    });
    expect(warnings).toEqual([]);
  });
});

describe("${VAR} expansion", () => {
  const schema = {
    url: settings.string(z.url())({ description: "URL" }),
    raw: settings.string()({ description: "kept as written", expand: false }),
  };

  it("expands the build's variables and earlier steps' outputs", () => {
    const { values, problems } = read(
      schema,
      {
        PLUGIN_URL: "http://${PROXMOX_VM_IP}:${CI_PORT}/${DRONE_BUILD_NUMBER}/${CI_BUILD_PATH:-builds}",
        CI_PORT: "8080",
        DRONE_BUILD_NUMBER: "42",
      },
      { PROXMOX_VM_IP: "10.0.0.7", CI_PORT: "9999" },
    );
    expect(problems).toEqual([]);
    expect(values.url).toBe("http://10.0.0.7:8080/42/builds");
  });

  /** `title` read beside a secret `api_key` of "tok-0123456789". */
  const readBesideSecret = (template: "text" | undefined, env: Env) =>
    read(
      {
        title: settings.string()({ description: "title", ...(template ? { template } : {}) }),
        api_key: settings.secret({ description: "token" }),
      },
      { PLUGIN_API_KEY: "tok-0123456789", ...env },
    );

  it("never expands the plugin's settings, the step's environment or the runner's credentials", () => {
    const { problems, values } = readBesideSecret(undefined, {
      PLUGIN_TITLE: "Release ${PLUGIN_API_KEY} ${HOME} ${DEPLOY_TOKEN} ${DRONE_NETRC_PASSWORD}",
      HOME: "/root",
      DEPLOY_TOKEN: "from-secret-in-environment",
      DRONE_NETRC_PASSWORD: "netrc-secret-value",
    });
    expect(values.title).toBeUndefined();
    expect(problems).toHaveLength(1);
    const message = problems[0]?.message ?? "";
    for (const name of ["PLUGIN_API_KEY", "HOME", "DEPLOY_TOKEN", "DRONE_NETRC_PASSWORD"]) {
      expect(message).toContain(`\${${name}} is not expanded`);
    }
    for (const secret of ["tok-0123456789", "from-secret-in-environment", "netrc-secret-value"]) {
      expect(JSON.stringify(problems)).not.toContain(secret);
    }
  });

  it("refuses a value that a placeholder or variable fills with a secret", () => {
    // Drone substituted a commit message that held the token; the plugin must not publish it.
    const { problems, values } = readBesideSecret("text", {
      PLUGIN_TITLE: "Release {{ commit.message }} ${DRONE_TAG}",
      DRONE_TAG: "v1",
      DRONE_COMMIT_MESSAGE: "oops tok-0123456789",
    });
    expect(values.title).toBeUndefined();
    expect(problems).toMatchObject([{ code: "E_SETTING_SECRET", setting: "title" }]);
    expect(JSON.stringify(problems)).not.toContain("tok-0123456789");
  });

  it("reports a variable that is set nowhere, with the raw value", () => {
    const { problems } = read(schema, { PLUGIN_URL: "http://${PROXMOX_VM_IP}/" });
    expect(problems).toMatchObject([
      { code: "E_SETTING_TEMPLATE", setting: "url", value: "http://${PROXMOX_VM_IP}/" },
    ]);
    expect(problems[0]?.message).toContain("${PROXMOX_VM_IP}");
  });

  it("leaves a setting with expand: false as written", () => {
    expect(read(schema, { PLUGIN_RAW: "${HOME}", HOME: "/root" }).values.raw).toBe("${HOME}");
  });
});

describe("{{ }} templates", () => {
  const schema = {
    namespace: settings.string()({ description: "namespace", template: "name" }),
    url: settings.string(z.url())({ description: "preview URL", template: "text" }),
    title: settings.string()({ description: "title", template: "text" }),
  };

  it("renders a name setting DNS-safe, and later settings can use it", () => {
    const { values, problems } = read(schema, {
      PLUGIN_NAMESPACE: "preview-{{ branch }}",
      PLUGIN_URL: "https://{{ namespace }}.preview.example.com/",
      PLUGIN_TITLE: "{{ repo }} #{{ build.number }} on {{ branch }} ({{ commit.sha | short }})",
    });
    expect(problems).toEqual([]);
    expect(values.namespace).toBe("preview-feature-login-page-0fab87");
    expect(values.url).toBe("https://preview-feature-login-page-0fab87.preview.example.com/");
    expect(values.title).toBe("acme/shop #42 on feature/Login_Page (01234567)");
  });

  it("renders a template given as the default", () => {
    const withDefault = {
      namespace: settings.string()({
        description: "namespace",
        template: "name",
        default: "preview-{{ branch }}",
      }),
      url: settings.string()({
        description: "URL",
        template: "text",
        default: "https://{{ namespace }}.example.com",
      }),
    };
    const { values, problems } = read(withDefault, {});
    expect(problems).toEqual([]);
    expect(values.namespace).toBe("preview-feature-login-page-0fab87");
    expect(values.url).toBe("https://preview-feature-login-page-0fab87.example.com");
  });

  it("reports unknown placeholders, empty ones and names that cannot be DNS labels", () => {
    const { problems } = read(schema, {
      PLUGIN_NAMESPACE: "Preview_{{ tag }}",
      PLUGIN_URL: "https://{{ namespace }}.example.com",
      PLUGIN_TITLE: "{{ brnach }}",
    });
    expect(problems.map((problem) => [problem.setting, problem.code])).toEqual([
      ["namespace", "E_SETTING_TEMPLATE"],
      ["url", "E_SETTING_TEMPLATE"],
      ["title", "E_SETTING_TEMPLATE"],
    ]);
    expect(problems[0]?.message).toContain("{{ tag }} is empty");
    expect(problems[2]?.message).toContain("unknown placeholder {{ brnach }}");
    expect(problems[2]?.message).toContain("branch");
  });
});
