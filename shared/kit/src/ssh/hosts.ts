/** One host of the `host` list: `vps.example.com`, `vps:2222`, `[2001:db8::1]:22`, `::1`. */
export interface HostAddress {
  host: string;
  port: number;
  /** As the logs and outputs show it: `vps.example.com:2222`. */
  label: string;
}

export function parseHost(value: string, defaultPort: number): HostAddress | string {
  const text = value.trim();
  let host = text;
  let port = defaultPort;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? "";
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [name = "", portText = ""] = text.split(":");
    if (!/^\d+$/.test(portText)) return `"${value}" has a port that is not a number`;
    host = name;
    port = Number(portText);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `"${value}" has a port outside 1–65535`;
  if (host === "" || /[\s/@]/.test(host)) return `"${value}" is not a host name or address`;
  return { host, port, label: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}` };
}
