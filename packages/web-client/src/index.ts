// @babelcast/web-client: the Babelcast session API from a browser or Node >= 20. No runtime
// dependency: Cognito sign-in lives in "@babelcast/web-client/cognito".
export {
  BabelcastError,
  ConnectionRefusedError,
  ERROR_CODE_STATUS,
  type ErrorCode,
  type ErrorDetail,
  type ErrorKind,
  friendlyMessage,
  HttpError,
  kindOf,
  statusOfCode,
  WebSocketError,
} from "./errors.js";
export type {
  ClientMessage,
  ServerMessage,
  ServerMessageMap,
  ServerMessageType,
  WebSocketErrorCode,
} from "./generated/messages.js";
export * as messages from "./generated/messages.js";
export { LANGUAGES, SESSION_ID_PATTERN } from "./generated/messages.js";
export type { components as OpenApiComponents, paths as OpenApiPaths } from "./generated/openapi.js";
export {
  type AuthProvider,
  DEFAULT_RETRY,
  type Language,
  type ListSessionsOptions,
  type QualityTier,
  type RetryConfig,
  type Session,
  type SessionAnalytics,
  type SessionConfig,
  SessionHttpService,
  type SessionHttpServiceOptions,
  type SessionMetadata,
  type SessionStatus,
  type SessionUpdateRequest,
} from "./http.js";
export {
  type CreateSessionConfig,
  type CreationMethod,
  flagFromEnv,
  SessionCreationOrchestrator,
  type SessionCreationOrchestratorOptions,
  type SessionCreationResult,
} from "./orchestrator.js";
export { type Logger, silentLogger } from "./util.js";
export { WebSocketClient } from "./websocket.js";
export * from "./websocket-types.js";
