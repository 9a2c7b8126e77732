import { settings as s } from "../settings/define.ts";
import { sshFingerprintSchema } from "./login.ts";

/**
 * The jump host settings of every plugin that logs in over SSH (appleboy/drone-ssh's names), one
 * declaration so compose-deploy and emulator-e2e read, check and document them alike.
 */
export const jumpHostSettings = {
  proxy_host: s.string()({ description: "Jump host to reach `host` through (`ProxyJump`)." }),
  proxy_port: s.integer({ min: 1, max: 65535 })({ description: "SSH port of the jump host.", default: 22 }),
  proxy_username: s.string()({ description: "User on the jump host.", defaultText: "`username`" }),
  proxy_key: s.secret({ description: "Private key for the jump host.", defaultText: "`key`" }),
  proxy_key_path: s.string()({ description: "Path of the jump host's private key file." }),
  proxy_password: s.secret({ description: "Password for the jump host." }),
  proxy_passphrase: s.secret({ description: "Passphrase of an encrypted `proxy_key`." }),
  proxy_fingerprint: s.string(sshFingerprintSchema)({
    description:
      "SHA256 fingerprint of the jump host's host key; or put its line in `known_hosts`. One of them is needed.",
  }),
};
