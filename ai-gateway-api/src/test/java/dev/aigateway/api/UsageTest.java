package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsageTest {

  @Test
  void ofSumsInputAndOutputAsTheTotal() {
    assertThat(Usage.of(12, 30).totalTokens()).isEqualTo(42);
  }

  @Test
  void ofSaturatesATotalBeyondALongInsteadOfOverflowing() {
    assertThat(Usage.of(Long.MAX_VALUE, 5).totalTokens()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void cappedLowersEveryCountAboveMaxTokensToIt() {
    Usage absurd = new Usage(Long.MAX_VALUE, 7, Long.MAX_VALUE, Long.MAX_VALUE, 3);

    assertThat(absurd.capped())
        .isEqualTo(new Usage(Usage.MAX_TOKENS, 7, Usage.MAX_TOKENS, Usage.MAX_TOKENS, 3));
  }

  @Test
  void cappedLeavesUsageWithinTheBoundAsItIs() {
    Usage usage = new Usage(Usage.MAX_TOKENS, 0, Usage.MAX_TOKENS, 0, 0);

    assertThat(usage.capped()).isSameAs(usage);
    assertThat(usage.exceedsMaxTokens()).isFalse();
  }

  @Test
  void oneCountAboveTheBoundExceedsMaxTokens() {
    assertThat(new Usage(1, 1, 2, 0, Usage.MAX_TOKENS + 1).exceedsMaxTokens()).isTrue();
  }
}
