// Generated from docs/openapi.yaml by packages/web-client/scripts/generate-types.mjs.
// Do not edit: change the document, then run `npm run generate` (a contract test fails when stale).

export interface paths {
    "/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's sessions
         * @description The caller's own sessions, newest first, a page at a time. Pass the `nextToken` of a page to
         *     get the next one; it is `null` on the last page. A token is opaque and signed: it is bound to
         *     the user and the `status` filter it was issued for and valid for an hour; a changed,
         *     foreign or expired token is `400 INVALID_NEXT_TOKEN`. A `status`-filtered page reads up to
         *     1 000 sessions to fill up: past that it may hold fewer than `limit` (even none) and still
         *     carry a `nextToken`.
         */
        get: operations["listSessions"];
        put?: never;
        /**
         * Create a session
         * @description Creates an `active` session owned by the caller, with a human-readable id. Each speaker may
         *     create `create_rate_limit_per_minute` sessions per minute (default 10); beyond that the answer
         *     is `429 RATE_LIMITED` with `Retry-After`.
         */
        post: operations["createSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sessions/{sessionId}": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        /**
         * Read a session (public)
         * @description Anyone who knows the id may read a session, for example a listener about to connect.
         */
        get: operations["getSession"];
        put?: never;
        post?: never;
        /**
         * End a session (owner only)
         * @description Ends the session: every connected listener gets `sessionEnded` and is disconnected. Repeating
         *     it is harmless (`204` again).
         */
        delete: operations["endSession"];
        options?: never;
        head?: never;
        /**
         * Update a session (owner only)
         * @description Pause (`paused`), resume (`active`) or end (`ended`) the session, or change its language or
         *     tier. Only the fields sent are written, in one conditional write that checks the owner and
         *     the status. `ended` is terminal: changing an ended session is `409 INVALID_STATUS_TRANSITION`.
         */
        patch: operations["updateSession"];
        trace?: never;
    };
    "/sessions/{sessionId}/analytics": {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        /** A session's usage figures (owner only) */
        get: operations["getSessionAnalytics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Service health (public)
         * @description Checks the dependencies (DynamoDB); `503` with the same body when one is unhealthy, naming it in `checks` (e.g. `{"dynamodb": {"status": "unhealthy", "error": "SERVICE_UNAVAILABLE"}}`). Answers within about 2 s even when a dependency does not answer at all.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @example blessed-shepherd-427 */
        SessionId: string;
        /** @example 3f0c6f6e-4b1a-4c59-9a51-5f3a0e7f2d11 */
        CorrelationId: string;
        /** @description Milliseconds since 1970-01-01T00:00:00Z. */
        EpochMillis: number;
        /**
         * @description ISO 639-1 code; the supported set is the Terraform variable `supported_languages`.
         * @enum {string}
         */
        Language: "en" | "es" | "fr" | "de" | "it" | "pt" | "ru" | "ja" | "ko" | "zh" | "ar" | "hi" | "nl" | "pl" | "tr" | "sv" | "da" | "no" | "fi";
        /** @enum {string} */
        QualityTier: "standard" | "premium";
        /**
         * @description `active` ⇄ `paused`, either → `ended` (terminal).
         * @enum {string}
         */
        SessionStatus: "active" | "paused" | "ended";
        Session: {
            sessionId: components["schemas"]["SessionId"];
            /** @description The owner's Cognito `sub`. */
            speakerId: string;
            sourceLanguage: components["schemas"]["Language"];
            qualityTier: components["schemas"]["QualityTier"];
            status: components["schemas"]["SessionStatus"];
            /** @description Listeners connected now. */
            listenerCount: number;
            /**
             * @description Listeners connected now per target language, only languages with at least one (their sum is `listenerCount`); kept exact under concurrent joins, leaves and language changes (one transaction each). `{}` once the session has ended.
             * @example {
             *       "es": 3,
             *       "fr": 1
             *     }
             */
            listenersByLanguage: {
                [key: string]: number;
            };
            createdAt: components["schemas"]["EpochMillis"];
            updatedAt: components["schemas"]["EpochMillis"];
            expiresAt: components["schemas"]["EpochMillis"];
            /** @description When the session ended (epoch ms); null while it has not. */
            endedAt: number | null;
            /**
             * @description Why it ended; null while it has not.
             * @enum {string|null}
             */
            endReason: "speaker" | "expired" | null;
            /** @description Incremented on every change. */
            version: number;
        };
        SessionList: {
            sessions: components["schemas"]["Session"][];
            /** @description Pass as `nextToken` for the next page; null on the last page. */
            nextToken: string | null;
        };
        CreateSessionRequest: {
            sourceLanguage: components["schemas"]["Language"];
            /** @default standard */
            qualityTier?: components["schemas"]["QualityTier"];
        };
        /** @description At least one field; null is not allowed. */
        UpdateSessionRequest: {
            status?: components["schemas"]["SessionStatus"];
            sourceLanguage?: components["schemas"]["Language"];
            qualityTier?: components["schemas"]["QualityTier"];
        };
        Analytics: {
            sessionId: components["schemas"]["SessionId"];
            status: components["schemas"]["SessionStatus"];
            createdAt: components["schemas"]["EpochMillis"];
            endedAt: number | null;
            /** @description Until the end, or until now while the session runs. */
            durationSeconds: number;
            currentListeners: number;
            peakListeners: number;
            /** @description Sum over listeners of the minutes each was connected. */
            listenerMinutes: number;
            /** @description Decoded audio bytes the speaker sent. */
            audioBytes: number;
            audioSeconds: number;
        };
        HealthCheck: {
            /** @enum {string} */
            status: "healthy" | "unhealthy";
            latencyMs: number;
            /** @description The error code of an unhealthy check. */
            error?: string;
        };
        Health: {
            /** @enum {string} */
            status: "healthy" | "unhealthy";
            version: string;
            environment: string;
            checks: {
                [key: string]: components["schemas"]["HealthCheck"];
            };
            responseTimeMs: number;
            timestamp: components["schemas"]["EpochMillis"];
        };
        /**
         * @description Stable; branch on it, not on the message.
         * @enum {string}
         */
        ErrorCode: "MALFORMED_JSON" | "VALIDATION_ERROR" | "INVALID_SESSION_ID" | "INVALID_NEXT_TOKEN" | "UNAUTHORIZED" | "FORBIDDEN" | "SESSION_NOT_FOUND" | "ROUTE_NOT_FOUND" | "INVALID_STATUS_TRANSITION" | "PAYLOAD_TOO_LARGE" | "RATE_LIMITED" | "INTERNAL_ERROR" | "SERVICE_UNAVAILABLE";
        Error: {
            code: components["schemas"]["ErrorCode"];
            /** @description For people; never contains internals. */
            message: string;
            /** @description The same text as `message`, for clients written to the original API, whose error body was `{"error": "<message>", "timestamp": ...}`. New clients read `code` and `message`. */
            error: string;
            correlationId: components["schemas"]["CorrelationId"];
            timestamp: components["schemas"]["EpochMillis"];
            details?: {
                field: string;
                issue: string;
            }[];
        };
        /** @description A response made by API Gateway itself, before or instead of the service. */
        GatewayMessage: {
            /** @enum {string} */
            message: "Unauthorized" | "Forbidden" | "Not Found" | "Too Many Requests" | "Request Entity Too Large" | "Internal Server Error" | "Service Unavailable";
        };
    };
    responses: {
        /**
         * @description The request is invalid: `MALFORMED_JSON`, `VALIDATION_ERROR` (with `details` per field),
         *     `INVALID_SESSION_ID` or `INVALID_NEXT_TOKEN`.
         */
        BadRequest: {
            headers: {
                "X-Correlation-Id": components["headers"]["CorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description No valid token. API Gateway's JWT authorizer refuses it before the service runs
         *     (`{"message": "Unauthorized"}` with `WWW-Authenticate`); `UNAUTHORIZED` if a token reached
         *     the service without a user.
         */
        Unauthorized: {
            headers: {
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                /** @description Set by API Gateway, e.g. `Bearer error="invalid_token"`. */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["GatewayMessage"] | components["schemas"]["Error"];
            };
        };
        /** @description `FORBIDDEN`: the session belongs to another speaker. */
        Forbidden: {
            headers: {
                "X-Correlation-Id": components["headers"]["CorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description `SESSION_NOT_FOUND`: no such session, or it has expired. A path that matches no route (for
         *     example a session id holding an encoded `/`) is answered by API Gateway itself:
         *     `{"message": "Not Found"}`.
         */
        NotFound: {
            headers: {
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] | components["schemas"]["GatewayMessage"];
            };
        };
        /** @description `INVALID_STATUS_TRANSITION`: the session has ended and cannot change. */
        Conflict: {
            headers: {
                "X-Correlation-Id": components["headers"]["CorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description `PAYLOAD_TOO_LARGE`: the body exceeds 16 KB; over 10 MB API Gateway refuses it itself
         *     (`{"message": "Request Entity Too Large"}`).
         */
        PayloadTooLarge: {
            headers: {
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] | components["schemas"]["GatewayMessage"];
            };
        };
        /**
         * @description `RATE_LIMITED` (with `Retry-After`): the speaker created too many sessions this minute; or
         *     API Gateway's stage throttling (`{"message": "Too Many Requests"}`).
         */
        TooManyRequests: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] | components["schemas"]["GatewayMessage"];
            };
        };
        /** @description API Gateway's stage throttling; retry with backoff. */
        Throttled: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["GatewayMessage"];
            };
        };
        /**
         * @description `INTERNAL_ERROR`: a bug or a failed dependency; or API Gateway could not run the function
         *     (`{"message": "Internal Server Error"}`). Report the correlation id.
         */
        InternalError: {
            headers: {
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] | components["schemas"]["GatewayMessage"];
            };
        };
        /**
         * @description `SERVICE_UNAVAILABLE`: a dependency is throttled, slow or unreachable (or no session id could
         *     be allocated). The function answers it itself before its timeout, with a correlation id
         *     (API Gateway's bare `{"message": "Service Unavailable"}` would mean the function timed out).
         *     Retry later.
         */
        ServiceUnavailable: {
            headers: {
                "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"] | components["schemas"]["GatewayMessage"];
            };
        };
    };
    parameters: {
        /** @description A session id (`adjective-noun-number`). */
        SessionId: components["schemas"]["SessionId"];
        /**
         * @description Your id for this request, written in every log line it causes and echoed back when well-formed
         *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
         *     replaced by a generated id rather than refused.
         * @example checkout-2024-03-13-0001
         */
        CorrelationId: string;
    };
    requestBodies: never;
    headers: {
        /** @description The request's correlation id (yours if well-formed, otherwise generated). */
        CorrelationId: components["schemas"]["CorrelationId"];
        /**
         * @description The request's correlation id, on every response the service produces (not on those API
         *     Gateway produces itself, whose body is `{"message": ...}`).
         */
        OptionalCorrelationId: components["schemas"]["CorrelationId"];
        /** @description Seconds to wait before creating another session (on `RATE_LIMITED` only). */
        RetryAfter: number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listSessions: {
        parameters: {
            query?: {
                /** @description Page size. */
                limit?: number;
                /** @description The `nextToken` of the previous page (opaque; valid for an hour, for the same caller and `status`). */
                nextToken?: string;
                /** @description Only sessions with this status. */
                status?: components["schemas"]["SessionStatus"];
            };
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of sessions. */
            200: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSessionRequest"];
            };
        };
        responses: {
            /** @description The session was created. */
            201: {
                headers: {
                    /**
                     * @description The new session's path.
                     * @example /sessions/blessed-shepherd-427
                     */
                    Location: string;
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session. */
            200: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    endSession: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session is ended. */
            204: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    updateSession: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateSessionRequest"];
            };
        };
        responses: {
            /** @description The updated session. */
            200: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getSessionAnalytics: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path: {
                /** @description A session id (`adjective-noun-number`). */
                sessionId: components["parameters"]["SessionId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session's analytics. */
            200: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Analytics"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Your id for this request, written in every log line it causes and echoed back when well-formed
                 *     (8-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit); any other value is
                 *     replaced by a generated id rather than refused.
                 * @example checkout-2024-03-13-0001
                 */
                "X-Correlation-Id"?: components["parameters"]["CorrelationId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Healthy. */
            200: {
                headers: {
                    "X-Correlation-Id": components["headers"]["CorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            429: components["responses"]["Throttled"];
            500: components["responses"]["InternalError"];
            /**
             * @description A dependency is unhealthy (the `Health` body, `status: unhealthy`), or API Gateway could
             *     not reach the function in time (`{"message": "Service Unavailable"}`).
             */
            503: {
                headers: {
                    "X-Correlation-Id": components["headers"]["OptionalCorrelationId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"] | components["schemas"]["GatewayMessage"];
                };
            };
        };
    };
}
