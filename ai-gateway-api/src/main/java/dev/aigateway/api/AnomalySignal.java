package dev.aigateway.api;

/**
 * What anomaly detection measures of each consumer. Each signal has a baseline learnt per consumer;
 * a consumer whose recent value rises far above its baseline is anomalous on that signal. Rates are
 * per minute; the recent value covers the last time bucket of the detection's configuration.
 */
public enum AnomalySignal {
  /** Tokens used (input + output, reported or estimated) per minute. */
  TOKEN_RATE("token_rate", "tokens/min"),
  /** Calls per minute, counting those the gateway refused because of the consumer's state. */
  REQUEST_RATE("request_rate", "calls/min"),
  /**
   * The share (0 to 1) of calls that failed: a backend's error status, no response, or a body cut
   * short.
   */
  ERROR_RATE("error_rate", "of calls"),
  /**
   * The share (0 to 1) of calls that the gateway's other stages refused (token limits, routing,
   * invalid requests).
   */
  REJECTION_RATE("rejection_rate", "of calls"),
  /** Input tokens per call, on average. */
  PROMPT_SIZE("prompt_size", "tokens/call"),
  /** How many different models the consumer asked for. */
  DISTINCT_MODELS("distinct_models", "models");

  private final String label;
  private final String unit;

  AnomalySignal(String label, String unit) {
    this.label = label;
    this.unit = unit;
  }

  /** A lower-case name for logs and metric tags, for example {@code request_rate}. */
  public String label() {
    return label;
  }

  /** The unit of the signal's values, for people: for example {@code calls/min}. */
  public String unit() {
    return unit;
  }

  /** Whether the signal is a share of calls (0 to 1) rather than an amount. */
  public boolean ratio() {
    return this == ERROR_RATE || this == REJECTION_RATE;
  }
}
