package dev.aigateway.store.tck;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.TestInfo;

/** What the contract suites share. */
final class Suites {

  private Suites() {}

  /** Skips the current test when it needs time control and {@code time} has none. */
  static void skipWithoutTimeControl(TimeControl time, TestInfo test) {
    assumeTrue(
        time.controlsTime() || !test.getTags().contains(NeedsTimeControl.TAG),
        () -> test.getDisplayName() + " needs time control, and the store's time() is " + time);
  }
}
