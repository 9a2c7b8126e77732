import { settings as s } from "../settings/define.ts";
import { sshFingerprintSchema } from "./login.ts";

export interface HostKeyWords {
  /** The machine as the descriptions name it: "the host", "`host`". */
  host: string;
  /** A name for the `ssh-keyscan` example. */
  example: string;
  /** When a host key is needed, if not always: " in host mode". */
  when?: string;
  /** What a stranger between the runner and the host could take: "the deploy". */
  risk: string;
}

/**
 * How a plugin that logs in over SSH knows it reached the right machine (appleboy/drone-ssh's
 * names), one declaration so compose-deploy and emulator-e2e check and document host keys alike.
 */
export function hostKeySettings(words: HostKeyWords) {
  return {
    fingerprint: s.string(sshFingerprintSchema)({
      description: `SHA256 fingerprint of ${words.host}'s host key (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\`). This or \`known_hosts\` is needed${words.when ?? ""}.`,
      example: "SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg",
    }),
    known_hosts: s.string()({
      description: `known_hosts lines for ${words.host} and the jump host (\`ssh-keyscan -p 22 ${words.example}\`), inline or a workspace file; hashed lines work too.`,
    }),
    insecure_ignore_host_key: s.boolean({
      description: `Connect without checking the host key. Prints a warning: anyone between the runner and ${words.host} could take ${words.risk}.`,
      default: false,
    }),
  };
}
