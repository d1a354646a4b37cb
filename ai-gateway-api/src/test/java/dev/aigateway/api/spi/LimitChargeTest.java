package dev.aigateway.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.Usage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitChargeTest {

  private static final LimitSpec RATE = LimitSpec.rate("tpm", 100, Duration.ofMinutes(1));

  @Test
  void aZeroAmountRequiresOneUnitLeft() {
    assertThat(new LimitCharge(RATE, "alice", 0).required()).isEqualTo(1);
    assertThat(new LimitCharge(RATE, "alice", 40).required()).isEqualTo(40);
  }

  @Test
  void negativeAmountIsRejectedNamingTheLimit() {
    assertThatThrownBy(() -> new LimitCharge(RATE, "alice", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("amount charged to limit 'tpm' must be between 0 and")
        .hasMessageEndingWith("but was -1");
  }

  @Test
  void anInFlightChargeHoldsExactlyOneSlot() {
    LimitSpec slots = LimitSpec.inFlight("f", 4);

    assertThat(new LimitCharge(slots, "alice", 1).amount()).isEqualTo(1);
    assertThatThrownBy(() -> new LimitCharge(slots, "alice", 2))
        .hasMessage(
            "a call holds one slot of in-flight limit 'f', so its amount must be 1 but " + "was 2");
    assertThatThrownBy(() -> new LimitCharge(slots, "alice", 0)).hasMessageEndingWith("but was 0");
  }

  @Test
  void chargeOfMaxTokensIsAccepted() {
    assertThat(new LimitCharge(RATE, "alice", Usage.MAX_TOKENS).amount())
        .isEqualTo(Usage.MAX_TOKENS);
  }

  @Test
  void chargeAboveMaxTokensIsRefusedWithTheValueAndTheBound() {
    assertThatThrownBy(() -> new LimitCharge(RATE, "alice", Usage.MAX_TOKENS + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS + 1))
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS));
  }
}
