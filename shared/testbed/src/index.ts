export {
  type AndroidScenario,
  type AndroidSdk,
  type Call as AndroidCall,
  createAndroidSdk,
  type StandinApk,
  standinApkBytes,
  writeStandinApk,
  zipBytes,
} from "./android/sdk.ts";
export {
  requireServer,
  SETUP_COMMAND,
  type ServerFixture,
  type SkipContext,
  serverFixture,
  type TestbedPolicy,
  TestbedUnavailableError,
  testbedPolicy,
  warnSkipped,
} from "./availability.ts";
export { findBinary } from "./binaries.ts";
export { createTlsCertificate, type TlsCertificate } from "./certificate.ts";
export {
  DOCKERD_FLAGS,
  type DockerEngine,
  type DockerEngineOptions,
  ensureDockerEngine,
  type IsolatedDockerd,
} from "./docker-engine.ts";
export { type DockerInstruction, dockerfileInstructions } from "./dockerfile.ts";
export {
  BUILD_SHA,
  type DroneBuild,
  droneEnv,
  pluginSettings,
  type WoodpeckerPipeline,
  woodpeckerEnv,
} from "./drone-env.ts";
export { buildVariables, type SimulatedBuild } from "./drone-exec/build.ts";
export { runContainer } from "./drone-exec/container.ts";
export { encodeEnvironment, encodeSettings, encodeValue } from "./drone-exec/encode.ts";
export {
  type ExecuteOptions,
  executePipeline,
  type StepOutcome,
  type StepReport,
} from "./drone-exec/execute.ts";
export { droneMatch } from "./drone-exec/glob.ts";
export {
  type LocalBuildOptions,
  type LocalBuildResult,
  localImage,
  readSecretsFile,
  runLocalBuild,
  stepTable,
} from "./drone-exec/local-build.ts";
export { type Pipeline, type PipelineStep, readPipeline, stepsInSnippet } from "./drone-exec/pipeline.ts";
export { parseScopedSecrets, readRepositorySecrets, type ScopedSecrets } from "./drone-exec/secrets.ts";
export { substitute } from "./drone-exec/substitute.ts";
export {
  type BuildFacts,
  type Condition,
  conditionMatches,
  readCondition,
  type StepDecision,
  stepRuns,
  type When,
} from "./drone-exec/when.ts";
export {
  DRONE_WORKSPACE,
  type DroneStepOptions,
  type DroneStepResult,
  imageExists,
  runDroneStep,
} from "./drone-step.ts";
export type { GiteaFailure, GiteaLatency, RequestMatcher } from "./gitea/faults.ts";
export type {
  AssetSnapshot,
  GiteaSeedRelease,
  GiteaStandIn,
  GiteaStandInOptions,
  ReleaseSnapshot,
  RequestRecord,
} from "./gitea/options.ts";
export type { GiteaEvent, GiteaEventType } from "./gitea/releases.ts";
export type { GiteaSeedCommit, GiteaSeedTag } from "./gitea/repository.ts";
export { checkResponse } from "./gitea/schema.ts";
export { startGiteaStandIn } from "./gitea/server.ts";
export { GiteaSpec, loadGiteaSpec, specsDir } from "./gitea/spec.ts";
export {
  againstEchoingServer,
  type EchoedRun,
  echoBody,
  type HostileMode,
  type HostileServer,
  type HostileServerOptions,
  jsonEscapeAll,
  secretLeaks,
  startHostileServer,
} from "./hostile.ts";
export type { RolloutBehaviour, WorkloadFacts } from "./kubernetes/controller.ts";
export type {
  KubernetesFailure,
  KubernetesRequest,
  KubernetesStandIn,
  KubernetesStandInOptions,
} from "./kubernetes/options.ts";
export { startKubernetesStandIn } from "./kubernetes/server.ts";
export { type PerTest, type PerTestOptions, perTest, type TestHooks } from "./per-test.ts";
export { cardIn, type ImageRun, type PluginImage, pluginImage, type StepCard } from "./plugin-image.ts";
export { freePort, LOOPBACK } from "./ports.ts";
export { guestHostKey } from "./proxmox/guest.ts";
export type {
  ProxmoxRequest,
  ProxmoxStandIn,
  ProxmoxStandInOptions,
  SeedVm,
  TaskSnapshot,
  TaskType,
  VmSnapshot,
} from "./proxmox/options.ts";
export { guestAddress } from "./proxmox/routes.ts";
export { startProxmoxStandIn, startProxmoxWithLoopbackGuests } from "./proxmox/server.ts";
export { type Registry, type RegistryOptions, startRegistry } from "./registry.ts";
export { RunError, type RunOptions, type RunResult, run } from "./run.ts";
export type { S3Fault, S3Request } from "./s3/front.ts";
export { type S3Store, type S3StoreOptions, startS3Store } from "./s3/store.ts";
export { type SlowLink, startSlowLink } from "./slow-link.ts";
export type { SmtpFailure, SmtpStage } from "./smtp-faults.ts";
export {
  type CapturedMessage,
  type SmtpServer,
  type SmtpServerOptions,
  type SmtpStats,
  type SmtpTlsMode,
  startSmtpServer,
} from "./smtp-server.ts";
export { type Sshd, type SshdOptions, sshFingerprint, startSshd } from "./sshd.ts";
export { dryRunModules, type LoadedModules, modulesLoadedBy } from "./start-modules.ts";
export { readStepOutputs, writeStepOutputs } from "./step-outputs.ts";
export { makeTempDir, type TempDir } from "./temp-dir.ts";
export { testbed } from "./testbed.ts";
export { type WaitOptions, waitUntil } from "./wait.ts";
export { tempWorkspace, type Workspace, type WorkspaceOptions } from "./workspace.ts";
