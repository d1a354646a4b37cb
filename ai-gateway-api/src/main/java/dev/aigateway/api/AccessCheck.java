package dev.aigateway.api;

import org.jspecify.annotations.Nullable;

/**
 * The check of an access rule that refused a call ({@link AccessInfo#check()}), in the order the
 * checks run. Each names the request field at fault in the 403's {@code param} where there is one.
 */
public enum AccessCheck {
  /** No rule applies to the caller and the policy denies by default. */
  NO_RULE("no_rule", null),
  /** The call's operation (chat, embeddings, responses, …) is not among the rule's. */
  OPERATION("operation", null),
  /** The call's model matches none of the rule's model patterns (or the call names no model). */
  MODEL("model", "model"),
  /** The call asks for a stream and the rule does not allow streaming. */
  STREAM("stream", "stream"),
  /** None of the rule's backends or pools serves the call's model. */
  BACKEND("backend", null),
  /**
   * The call's output allowance ({@code max_tokens} × {@code n}) is above the rule's maximum, or
   * the call sets no bound while the rule has one.
   */
  OUTPUT_ALLOWANCE("output_allowance", "max_tokens");

  private final String label;
  private final @Nullable String param;

  AccessCheck(String label, @Nullable String param) {
    this.label = label;
    this.param = param;
  }

  /** A short lower-case name for messages and metrics, for example {@code model}. */
  public String label() {
    return label;
  }

  /**
   * The request field this check reads, for the error's {@code param}; null when it reads none.
   *
   * @return the field name, or null
   */
  public @Nullable String param() {
    return param;
  }
}
