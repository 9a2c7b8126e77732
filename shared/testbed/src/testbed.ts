import { requireServer } from "./availability.ts";
import { type DockerEngineOptions, ensureDockerEngine } from "./docker-engine.ts";
import { imageExists } from "./drone-step.ts";
import { type RegistryOptions, startRegistry } from "./registry.ts";
import { type SmtpServerOptions, startSmtpServer } from "./smtp-server.ts";
import { type SshdOptions, startSshd } from "./sshd.ts";

/**
 * Each real server under the availability policy: resolves with the server, or with undefined
 * (after a loud warning) when it is unavailable on a developer's machine; rejects under CI.
 *
 *   const sshd = await testbed.sshd();
 *   describe.skipIf(!sshd)("deploys over SSH", () => { afterAll(() => sshd?.stop()); … });
 */
export const testbed = {
  smtp: (options?: SmtpServerOptions) => requireServer("an SMTP server", () => startSmtpServer(options)),
  sshd: (options?: SshdOptions) => requireServer("OpenSSH sshd", () => startSshd(options)),
  docker: (options?: DockerEngineOptions) =>
    requireServer("the Docker Engine", () => ensureDockerEngine(options)),
  registry: (options?: RegistryOptions) =>
    requireServer("a container registry", () => startRegistry(options)),
  /** A plugin image built by `pnpm images`, on a running Docker Engine: resolves with its name. */
  image: async (image: string) =>
    (await testbed.docker()) === undefined
      ? undefined
      : requireServer(`the image ${image} (built by \`pnpm images\`)`, async () => {
          if (!(await imageExists(image)))
            throw new Error(`${image} does not exist; run \`pnpm images\` first`);
          return image;
        }),
};
