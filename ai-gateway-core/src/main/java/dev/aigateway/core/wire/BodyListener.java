package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;

/** Told once how an observed response body ended. */
public interface BodyListener {

  /** The first body bytes arrived. */
  void firstBytes();

  /**
   * A stream's first event arrived (an event with data, or a message of an AWS event stream): told
   * once, after {@link #firstBytes()}; never for a body that is not a stream. Nothing by default.
   */
  default void firstEvent() {}

  /** The body ended: read to its end, closed early, or failed. Called exactly once. */
  void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure);
}
