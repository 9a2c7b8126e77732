import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findBinary } from "./binaries.ts";
import { run } from "./run.ts";
import { makeTempDir } from "./temp-dir.ts";

export interface TlsCertificate {
  /** The throw-away CA a client trusts: pass caPem as `ca`, or caPath as NODE_EXTRA_CA_CERTS. */
  caPath: string;
  caPem: string;
  /** The server certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1), signed by the CA. */
  certPath: string;
  certPem: string;
  /** The server's private key (unencrypted). */
  keyPath: string;
  keyPem: string;
  /** Removes the directory holding all of the above. */
  remove(): Promise<void>;
}

const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = hangar testbed throw-away CA
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

const SERVER_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Makes a fresh CA and a server certificate for localhost/127.0.0.1 with the openssl CLI,
 * valid for two days, in a temporary directory. Every call makes new keys.
 */
export async function createTlsCertificate(): Promise<TlsCertificate> {
  const openssl = findBinary("TLS certificate", "openssl", "openssl");
  const dir = await makeTempDir("tls");
  try {
    const file = (name: string) => join(dir.path, name);
    await writeFile(file("ca.cnf"), CA_CONFIG);
    await writeFile(file("server.cnf"), SERVER_CONFIG);
    const days = ["-days", "2"];
    const ca = ["-keyout", file("ca.key"), "-out", file("ca.pem")];
    await run(openssl, ["req", "-x509", "-new", "-config", file("ca.cnf"), ...EC_KEY, ...days, ...ca]);
    const request = ["-keyout", file("server.key"), "-out", file("server.csr")];
    await run(openssl, ["req", "-new", "-config", file("server.cnf"), ...EC_KEY, ...request]);
    const issuer = [
      "-CA",
      file("ca.pem"),
      "-CAkey",
      file("ca.key"),
      "-set_serial",
      `0x${randomBytes(16).toString("hex")}`,
    ];
    const extensions = ["-extfile", file("server.cnf"), "-extensions", "server"];
    const sign = ["x509", "-req", "-in", file("server.csr"), ...issuer, ...days, ...extensions];
    await run(openssl, [...sign, "-out", file("server.pem")]);
    return {
      caPath: file("ca.pem"),
      caPem: await readFile(file("ca.pem"), "utf8"),
      certPath: file("server.pem"),
      certPem: await readFile(file("server.pem"), "utf8"),
      keyPath: file("server.key"),
      keyPem: await readFile(file("server.key"), "utf8"),
      remove: dir.remove,
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}
