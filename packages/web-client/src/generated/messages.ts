// Generated from docs/asyncapi.yaml by packages/web-client/scripts/generate-types.mjs.
// Do not edit: change the document, then run `npm run generate` (a contract test fails when stale).
// --- shared schemas
/** ISO 639-1 code; the supported set is the Terraform variable `supported_languages`. */
export type Language = "en" | "es" | "fr" | "de" | "it" | "pt" | "ru" | "ja" | "ko" | "zh" | "ar" | "hi" | "nl" | "pl" | "tr" | "sv" | "da" | "no" | "fi";
export type EpochMillis = number;
/** The same session object the HTTP API returns (openapi.yaml, `Session`). */
export interface Session {
  sessionId: string;
  speakerId: string;
  sourceLanguage: Language;
  qualityTier: "standard" | "premium";
  status: "active" | "paused" | "ended";
  listenerCount: number;
  createdAt: EpochMillis;
  updatedAt: EpochMillis;
  expiresAt: EpochMillis;
  endedAt?: number | null;
  endReason?: "speaker" | "expired" | null;
  version: number;
}
/** Legacy dialect: connected listeners per target language. */
export interface LanguageDistribution {
  [key: string]: number;
}
/** Every supported language (the Terraform variable `supported_languages`). */
export const LANGUAGES: readonly Language[] = ["en","es","fr","de","it","pt","ru","ja","ko","zh","ar","hi","nl","pl","tr","sv","da","no","fi"];
/** What a session id looks like (`?sessionId=` is refused with 400 otherwise). */
export const SESSION_ID_PATTERN: RegExp = /^[a-z]{2,24}-[a-z]{2,24}-[0-9]{3,6}$/;

// --- messages
/** Audio chunk: PCM 16-bit mono (16 kHz unless the session says otherwise), base64 in JSON (binary frames close the socket). */
export interface SendAudioMessage {
  action: "sendAudio";
  /** At most 1 MB once decoded. */
  audioData: string;
  /** Increasing per session, across reconnects. A chunk is accepted once per sequence: a resend of an accepted chunk is not forwarded again (docs/websocket-protocol.md, Sequences). */
  sequence: number;
}
/** heartbeat */
export interface HeartbeatMessage {
  action: "heartbeat";
}
/** pauseBroadcast */
export interface PauseBroadcastMessage {
  action: "pauseBroadcast";
}
/** resumeBroadcast */
export interface ResumeBroadcastMessage {
  action: "resumeBroadcast";
}
/** changeLanguage */
export interface ChangeLanguageMessage {
  action: "changeLanguage";
  targetLanguage: Language;
}
/** Exactly one of afterSequence (the last sequence the listener saw) and seconds. */
export interface CatchUpMessage {
  action: "catchUp";
  afterSequence?: number;
  /** Capped at the kept window (catch_up_seconds). */
  seconds?: number;
}
/** After the replayed segments of a catchUp. Segments still being delivered when it was sent arrive live after it; a client keeps the highest sequence it has seen and drops a sequence it already has. */
export interface CatchUpCompleteMessage {
  type: "catchUpComplete";
  /** The highest sequence of the listener's language so far (0: none yet). */
  lastSequence: number;
  /** How many segments were replayed before this message. */
  replayed: number;
}
/** getSessionStatus */
export interface GetSessionStatusMessage {
  action: "getSessionStatus";
}
/** Only when `legacy_creation_enabled`; otherwise `error` `LEGACY_CREATION_DISABLED`. */
export interface CreateSessionMessage {
  action: "createSession";
  sourceLanguage: Language;
  qualityTier?: "standard" | "premium";
}
/** sessionCreated */
export interface SessionCreatedMessage {
  type: "sessionCreated";
  sessionId: string;
  session: Session;
}
/** heartbeatAck */
export interface HeartbeatAckMessage {
  type: "heartbeatAck";
  timestamp: EpochMillis;
}
/** Reply to getSessionStatus. */
export interface SessionStatusMessage {
  type: "sessionStatus";
  sessionId: string;
  role: "speaker" | "listener";
  session: Session;
  /** Legacy dialect (while legacy_dialect_enabled): session.listenerCount, at the top level. */
  listenerCount?: number;
  languageDistribution?: LanguageDistribution;
}
/** sessionStatus (after changeLanguage): Reply to changeLanguage, with the new language. */
export interface ListenerStatusMessage {
  type: "sessionStatus";
  sessionId: string;
  targetLanguage: Language;
}
/** sessionPaused */
export interface SessionPausedMessage {
  type: "sessionPaused";
  sessionId: string;
  status: "paused";
  timestamp: EpochMillis;
}
/** sessionResumed */
export interface SessionResumedMessage {
  type: "sessionResumed";
  sessionId: string;
  status: "active";
  timestamp: EpochMillis;
}
/** sessionEnded */
export interface SessionEndedMessage {
  type: "sessionEnded";
  sessionId: string;
  reason: "speaker" | "expired";
  timestamp: EpochMillis;
}
/** To the speaker's connection(s), within 2 s of a listener joining, leaving or changing language; coalesced to at most one per session per second (the newest counts win). */
export interface AudienceUpdateMessage {
  type: "audienceUpdate";
  sessionId: string;
  listenerCount: number;
  /** Listeners per target language, only languages with at least one; their sum is listenerCount. */
  languages: {
    [key: string]: number;
  };
  timestamp: EpochMillis;
}
/** To the speaker, in reply to sendAudio: the first chunk accepted in each second of the session's clock, and every resent chunk that was already received (not forwarded again). Chunks up to sequence that the client still holds need not be resent after a reconnect. */
export interface AudioAckMessage {
  type: "audioAck";
  /** The highest sequence accepted (forwarded to the pipeline, or held in the pause buffer). */
  sequence: number;
  /** Chunks held in the pause buffer now (0 when everything accepted is on its way to the pipeline). */
  buffered: number;
}
/** connectionRefreshRequired */
export interface ConnectionRefreshRequiredMessage {
  type: "connectionRefreshRequired";
  reason: string;
  sessionId: string | null;
  timestamp: EpochMillis;
  /** When API Gateway closes this connection (2 hours after it opened) - reconnect before. */
  refreshBy?: EpochMillis;
}
/** error */
export interface ErrorMessage {
  type: "error";
  code: "INVALID_MESSAGE" | "UNKNOWN_ACTION" | "VALIDATION_ERROR" | "INVALID_AUDIO" | "AUDIO_TOO_LARGE" | "NOT_SPEAKER" | "NOT_LISTENER" | "SESSION_ENDED" | "SESSION_NOT_FOUND" | "NO_SESSION" | "LEGACY_CREATION_DISABLED" | "LEGACY_DIALECT_DISABLED" | "RATE_LIMITED" | "FORBIDDEN" | "INVALID_SESSION_ID" | "INVALID_STATUS_TRANSITION" | "SERVICE_UNAVAILABLE" | "INTERNAL_ERROR";
  message: string;
  /** The refused message's action ("" when it had none). */
  action: string;
  requestId: string;
  /** sendAudio: the failed chunk's sequence (when it was a valid integer): resend it. */
  sequence?: number;
  /** RATE_LIMITED only: seconds until a creation is accepted again (HTTP's Retry-After). */
  retryAfter?: number;
  /** VALIDATION_ERROR only - each refused field and why, as in the HTTP API's 400 (the values are never echoed). */
  details?: Array<{
    /** The field's path in the message, e.g. `afterSequence`. */
    field: string;
    issue: string;
  }>;
}
/** error (AUDIO_BUFFER_FULL warning): More than `audio_buffer_seconds` of audio is buffered while paused; the oldest chunks were dropped. */
export interface AudioBufferFullMessage {
  type: "error";
  code: "AUDIO_BUFFER_FULL";
  severity: "warning";
  /** The chunk whose buffering dropped older ones. */
  sequence?: number;
  message: string;
}
/** error (AUDIO_OUT_OF_ORDER warning): The chunk is older than the newest chunk accepted for the session. `forwarded: true`: it had been skipped (e.g. invocations overtook each other) and is forwarded now, after newer audio; `forwarded: false`: it was already accepted (or is more than 64 behind) and is dropped. */
export interface AudioOutOfOrderMessage {
  type: "error";
  code: "AUDIO_OUT_OF_ORDER";
  severity: "warning";
  sequence: number;
  newestSequence: number;
  forwarded: boolean;
  message: string;
}
/** A translated segment for the listener's language; fields are the pipeline's (e.g. translatedText, translatedAudio), plus sequence (per session and language, contiguous from 1) and, in reply to catchUp, replayed. */
export interface TranslationMessage {
  type: string;
  /** Per session and language, contiguous from 1; the same segment always has the same sequence. */
  sequence: number;
  /** Present on segments sent again in reply to catchUp. */
  replayed?: true;
  translatedText?: string;
  translatedAudio?: string;
}
/** sendAudio (legacy, no sequence): The deployed speaker app's older audio message: numbered by the server in arrival order (one UpdateItem more than sendAudio); its other fields (timestamp, chunkId, duration) are ignored. */
export interface SendAudioUnnumberedMessage {
  action: "sendAudio";
  audioData: string;
}
/** audioChunk (legacy): sendAudio numbered by the server in arrival order. The session's encoding and sample rate apply; the fields sessionId, timestamp, format, sampleRate, channels and encoding are ignored. */
export interface AudioChunkMessage {
  action: "audioChunk";
  audioData: string;
}
/** endSession (legacy) */
export interface EndSessionMessage {
  action: "endSession";
}
/** muteBroadcast (legacy) */
export interface MuteBroadcastMessage {
  action: "muteBroadcast";
}
/** unmuteBroadcast (legacy) */
export interface UnmuteBroadcastMessage {
  action: "unmuteBroadcast";
}
/** joinSession (legacy) */
export interface JoinSessionMessage {
  action: "joinSession";
  /** Must be the connection's session when given. */
  sessionId?: string;
  targetLanguage?: Language;
}
/** switchLanguage (legacy) */
export interface SwitchLanguageMessage {
  action: "switchLanguage";
  targetLanguage: Language;
}
/** refreshConnection (legacy) */
export interface RefreshConnectionMessage {
  action: "refreshConnection";
}
/** sessionJoined (legacy) */
export interface SessionJoinedMessage {
  type: "sessionJoined";
  sessionId: string;
  role: "speaker" | "listener";
  targetLanguage?: Language;
  session: Session;
}
/** connectionRefreshComplete (legacy) */
export interface ConnectionRefreshCompleteMessage {
  type: "connectionRefreshComplete";
  sessionId: string;
  role: "speaker" | "listener";
  timestamp: EpochMillis;
}
/** broadcastPaused (legacy, beside sessionPaused) */
export interface BroadcastPausedMessage {
  type: "broadcastPaused";
  sessionId: string;
  status: "paused";
  timestamp: EpochMillis;
}
/** broadcastResumed (legacy, beside sessionResumed) */
export interface BroadcastResumedMessage {
  type: "broadcastResumed";
  sessionId: string;
  status: "active";
  timestamp: EpochMillis;
}
/** broadcastMuted (legacy) */
export interface BroadcastMutedMessage {
  type: "broadcastMuted";
  sessionId: string;
  muted: true;
  timestamp: EpochMillis;
}
/** broadcastUnmuted (legacy) */
export interface BroadcastUnmutedMessage {
  type: "broadcastUnmuted";
  sessionId: string;
  muted: false;
  timestamp: EpochMillis;
}

// --- what travels which way
/** A message a client sends (its `action` selects the route). */
export type ClientMessage =
  | SendAudioMessage
  | SendAudioUnnumberedMessage
  | HeartbeatMessage
  | PauseBroadcastMessage
  | ResumeBroadcastMessage
  | ChangeLanguageMessage
  | CatchUpMessage
  | GetSessionStatusMessage
  | CreateSessionMessage
  | AudioChunkMessage
  | EndSessionMessage
  | MuteBroadcastMessage
  | UnmuteBroadcastMessage
  | JoinSessionMessage
  | SwitchLanguageMessage
  | RefreshConnectionMessage;
/** Every message the server sends, by its `type` (pipeline payloads without a known type are `translation`). */
export interface ServerMessageMap {
  heartbeatAck: HeartbeatAckMessage;
  sessionStatus: ListenerStatusMessage | SessionStatusMessage;
  translation: TranslationMessage;
  catchUpComplete: CatchUpCompleteMessage;
  sessionCreated: SessionCreatedMessage;
  sessionPaused: SessionPausedMessage;
  sessionResumed: SessionResumedMessage;
  sessionEnded: SessionEndedMessage;
  audienceUpdate: AudienceUpdateMessage;
  audioAck: AudioAckMessage;
  connectionRefreshRequired: ConnectionRefreshRequiredMessage;
  error: ErrorMessage | AudioBufferFullMessage;
  sessionJoined: SessionJoinedMessage;
  connectionRefreshComplete: ConnectionRefreshCompleteMessage;
  broadcastPaused: BroadcastPausedMessage;
  broadcastResumed: BroadcastResumedMessage;
  broadcastMuted: BroadcastMutedMessage;
  broadcastUnmuted: BroadcastUnmutedMessage;
}
export type ServerMessageType = keyof ServerMessageMap;
export type ServerMessage = ServerMessageMap[ServerMessageType];
export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = ["heartbeatAck","sessionStatus","translation","catchUpComplete","sessionCreated","sessionPaused","sessionResumed","sessionEnded","audienceUpdate","audioAck","connectionRefreshRequired","error","sessionJoined","connectionRefreshComplete","broadcastPaused","broadcastResumed","broadcastMuted","broadcastUnmuted"];
/** The `code` of an `error` message. */
export type WebSocketErrorCode = ErrorMessage["code"] | AudioBufferFullMessage["code"];
