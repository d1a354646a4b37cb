package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailoverTest {

  @Test
  void aStreamsFirstEventMayTakeThirtySecondsByDefault() {
    assertThat(Failover.defaults().firstEventTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void theFirstEventTimeoutIsSetOnTheBuilder() {
    assertThat(
            Failover.builder().firstEventTimeout(Duration.ofMinutes(3)).build().firstEventTimeout())
        .isEqualTo(Duration.ofMinutes(3));
  }

  @Test
  void theFirstEventTimeoutMustBePositive() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Failover.builder().firstEventTimeout(Duration.ZERO))
        .withMessage("firstEventTimeout must be positive but was PT0S");
  }

  @Test
  void aLongFirstBackoffDoubledManyTimesStopsAtTheMaximumInsteadOfOverflowing() {
    Failover failover = Failover.builder().backoff(Duration.ofHours(3), Duration.ofDays(1)).build();

    Duration backoff = failover.backoff(25, 0.5);

    assertThat(backoff).isEqualTo(Duration.ofHours(12)); // half of the one-day ceiling
  }
}
