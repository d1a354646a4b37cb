package dev.aigateway.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.Usage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitChargeTest {

  private static final LimitSpec TPM = LimitSpec.rate("tpm", 1000, Duration.ofMinutes(1));

  @Test
  void chargeOfMaxTokensIsAccepted() {
    assertThat(new LimitCharge(TPM, "alice", Usage.MAX_TOKENS).tokens())
        .isEqualTo(Usage.MAX_TOKENS);
  }

  @Test
  void chargeAboveMaxTokensIsRefusedWithTheValueAndTheBound() {
    assertThatThrownBy(() -> new LimitCharge(TPM, "alice", Usage.MAX_TOKENS + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS + 1))
        .hasMessageContaining(String.valueOf(Usage.MAX_TOKENS));
  }

  @Test
  void negativeChargeIsRefused() {
    assertThatThrownBy(() -> new LimitCharge(TPM, "alice", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }
}
