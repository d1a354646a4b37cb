package dev.aigateway.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The tests of a hostile-traffic run, one per invariant of {@link HostileCases}: each asserts that
 * no case of the run broke it (a failure lists the cases that did).
 */
abstract class HostileInvariantTests {

  /** The run's findings, made once for the class. */
  abstract HostileCases cases();

  @Test
  void onlyIoExceptionsOrResponsesReachTheApplication() {
    assertThat(cases().escaped()).isEmpty();
  }

  @Test
  void everyGovernedCallEndsInExactlyOneEvent() {
    assertThat(cases().eventCounts()).isEmpty();
  }

  @Test
  void everyReservationIsSettledOnceToTheTokensItsEventReports() {
    assertThat(cases().settlements()).isEmpty();
  }

  @Test
  void everyCounterHoldsItsCapacityMinusWhatWasSettledOnIt() {
    assertThat(cases().counters()).isEmpty();
  }
}
