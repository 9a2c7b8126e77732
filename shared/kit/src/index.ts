export { caCertProblem, readCaCert } from "./ca-cert.ts";
export { type Card, writeCard } from "./card.ts";
export { type BuildContext, type BuildStatus, readContext } from "./context.ts";
export { docsLink, settingAnchor } from "./docs-link.ts";
export {
  errorMessage,
  fileProblem,
  HangarError,
  type SettingProblem,
  SettingsError,
  StepFailed,
} from "./errors.ts";
export { CommandFailed, createExec, type Exec, type ExecOptions, type ExecResult } from "./exec.ts";
export {
  DEFAULT_MAX_FILE_BYTES,
  listWorkspaceFiles,
  type MatchedFile,
  matchFiles,
  readWorkspaceBytes,
  readWorkspaceFile,
  resolveInWorkspace,
  type WorkspaceFileOptions,
  workspacePath,
} from "./files.ts";
export { formatBytes } from "./format-bytes.ts";
export { Logger, type Streams } from "./log.ts";
export {
  commonSettings,
  type Dependencies,
  EXIT_BAD_SETTINGS,
  EXIT_FAILED,
  main,
  runPlugin,
  withCommon,
} from "./main.ts";
export { Masker } from "./mask.ts";
export { OUTPUTS_STAMP_KEY, outputKey, outputsStamp, readOutputs, writeOutputs } from "./outputs.ts";
export { mapWithLimit } from "./parallel.ts";
export type { PlanContext, PluginDefinition, RunResult, Runtime } from "./plugin.ts";
export {
  formatRate,
  PROGRESS_INTERVAL_MS,
  type TransferProgress,
  type TransferProgressOptions,
  type TransferTotals,
  transferProgress,
} from "./progress.ts";
export { pollUntil, retry, TimeoutError, withTimeout } from "./retry.ts";
export { type CapturedRun, runCaptured, runCapturedProcess } from "./run-captured.ts";
export { type Setting, type SettingsOf, type SettingsSchema, settings } from "./settings/define.ts";
export { formatDuration, helpText, settingsTable } from "./settings/describe.ts";
export { readSettings } from "./settings/read.ts";
export type { SettingsCheck } from "./settings-check.ts";
export {
  Connector,
  type ConnectorOptions,
  type RemoteCommand,
  RemoteCommandFailed,
  type RemoteExecOptions,
  type RemoteHost,
  type RemoteResult,
  type SshLogin,
} from "./ssh/connection.ts";
export {
  checkHostKey,
  fingerprintOf,
  type HostKeyPolicy,
  type HostKeyVerdict,
  keyTypeOf,
  knownHostsEntries,
} from "./ssh/host-key.ts";
export { type HostKeyWords, hostKeySettings } from "./ssh/host-key-settings.ts";
export { type HostAddress, parseHost } from "./ssh/hosts.ts";
export { jumpHostSettings } from "./ssh/jump-host-settings.ts";
export { lineWriter } from "./ssh/lines.ts";
export {
  checkSshSettings,
  describeHostKey,
  hostKeyPolicy,
  readKeyFile,
  readKnownHosts,
  type SshConnectionSettings,
  type SshLogins,
  type SshProblem,
  type SshSettingName,
  sshFingerprintSchema,
  sshLogins,
  withoutSetting,
} from "./ssh/login.ts";
export { quote, remoteDirname, remoteJoin, sh, shellJoin } from "./ssh/shell.ts";
export { contextVars, expandVariables, renderTemplate, slug } from "./template.ts";
export { looksLikePem, looksLikeTemplate, type TextOrFileOptions, textOrFile } from "./text-or-file.ts";
export { acceptAnyCertificate, trustCertificates } from "./tls.ts";
export { untilAborted } from "./until-aborted.ts";
