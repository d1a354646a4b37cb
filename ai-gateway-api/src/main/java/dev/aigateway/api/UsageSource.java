package dev.aigateway.api;

/** Where a token count on an event came from. */
public enum UsageSource {
  /** The backend reported it in the response's {@code usage}. */
  REPORTED,
  /** The gateway counted it locally (jtokkit), because the backend reported nothing usable. */
  ESTIMATED,
  /** Nothing was counted: the call was rejected or failed before any token was used. */
  NONE
}
