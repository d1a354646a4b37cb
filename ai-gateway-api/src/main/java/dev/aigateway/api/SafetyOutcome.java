package dev.aigateway.api;

/** What the content safety stage did for one call, as {@link SafetyInfo#outcome()} reports. */
public enum SafetyOutcome {
  /** No content safety check ran for the call (none configured, or the call ended before). */
  NONE,
  /** Every check ran and found nothing to act on. */
  PASSED,
  /** A check found something whose action is to flag only: the call went on unchanged. */
  FLAGGED,
  /** Personal data was replaced with placeholders before the prompt was sent. */
  REDACTED,
  /** A check blocked the prompt: the call was refused with a 400 and no backend was called. */
  BLOCKED,
  /**
   * A check blocked the streamed answer mid-way: the application got the chunks before the block,
   * then an error event, and the call was settled on the tokens up to there.
   */
  ANSWER_BLOCKED,
  /**
   * An external check failed or timed out and the gateway fails open: the call went on unchecked by
   * it. (Failing closed, the call is refused: {@link RejectionReason#CONTENT_CHECK_UNAVAILABLE}.)
   */
  CHECK_FAILED,
  /** An external check failed or timed out and the gateway fails closed: the call was refused. */
  CHECK_FAILED_CLOSED
}
