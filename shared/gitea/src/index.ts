export { AnswerTooLarge, boundedFetch, MAX_ANSWER_BYTES, readCapped } from "./bounded-answer.ts";
export { boundedCall, type CallLimits, type CallOptions as BoundedCallOptions } from "./call.ts";
export {
  type CallOptions,
  type GiteaApi,
  GiteaConnection,
  type GiteaTarget,
} from "./connection.ts";
export {
  type Access,
  explainFailure,
  type FailureContext,
  type FailureKind,
  GiteaCallFailed,
  isTransient,
  StalledTransfer,
} from "./failure.ts";
export {
  type ConnectionSetting,
  type ConnectionSettings,
  checkConnection,
  isHeaderSafe,
  type ProblemFor,
} from "./inputs.ts";
export {
  allPages,
  MAX_PAGES,
  PAGE_SIZE,
  type PagingOptions,
  pagesOf,
  TooManyPages,
} from "./paging.ts";
export {
  type ConnectionPlan,
  type ConnectionSettingValues,
  describeTls,
  planConnection,
  targetOf,
} from "./plan.ts";
export { applyTls, type TlsSettings } from "./tls.ts";
