package dev.aigateway.core.safety;

/** What content safety does when a check finds something. */
public enum SafetyAction {
  /**
   * Refuse the call: a prompt gets a 400 ({@code content_filter}) and no backend is called; a
   * streamed answer is stopped with a final error event.
   */
  BLOCK,
  /**
   * Replace what was found with a placeholder ({@code [REDACTED:EMAIL]}) in the body before it is
   * sent, so the backend never receives it. Only text checks redact; on a streamed answer, whose
   * bytes have reached the application, it flags.
   */
  REDACT,
  /** Let the call go on unchanged; its event and metric say what was found. */
  FLAG
}
