package dev.aigateway.core.wire;

import dev.aigateway.api.CallOutcome;

/** Told once how an observed response body ended. */
public interface BodyListener {

  /** The first body bytes arrived. */
  void firstBytes();

  /** The body ended: read to its end, closed early, or failed. Called exactly once. */
  void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure);
}
