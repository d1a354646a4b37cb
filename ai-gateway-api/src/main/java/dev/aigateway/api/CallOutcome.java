package dev.aigateway.api;

/** How a governed call ended, as its {@link GatewayEvent} reports. */
public enum CallOutcome {
  /**
   * The backend answered 2xx and the application read the whole body. That includes an answer the
   * provider's content filter cut off under its 200 ({@code finish_reason: "content_filter"}),
   * which the event tells apart: {@link GatewayEvent#contentFiltered()}.
   */
  SUCCESS,
  /** The gateway answered itself: a limit or quota rejected the call. No backend was called. */
  REJECTED,
  /**
   * The backend answered with an error status (4xx/5xx), or with a 2xx whose body reported an error
   * instead of an answer (a JSON document with a top-level {@code error} object, even beside usage,
   * or a Responses API document whose {@code status} is {@code failed} or {@code cancelled}; a
   * stream with an error event; the event's {@code errorType} is then {@code error-answer}).
   * Nothing is charged, except what such a body reported as its usage (else, for a stream that gave
   * text before its error, that text estimated with the prompt).
   */
  BACKEND_ERROR,
  /**
   * The call failed before a response arrived (connect failure, timeout, the client's own call
   * timeout included). Nothing is charged.
   */
  FAILED,
  /**
   * The application cancelled the call, or closed or cancelled the body before its end; charged
   * what streamed. A call cancelled before any answer reached the application (waiting for the
   * response, in a failover's backoff) is charged nothing; one whose stream was held for its first
   * event is charged as a stream closed early.
   */
  CANCELLED,
  /**
   * The body ended early (connection lost, a read or call timeout while it was read, stream without
   * its end marker); charged what came.
   */
  TRUNCATED
}
