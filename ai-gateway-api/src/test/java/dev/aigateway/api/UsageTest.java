package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void theFiveCountConstructorReportsNoCacheWriteAudioOrImageTokens() {
    Usage usage = new Usage(10, 5, 15, 4, 2);

    assertThat(usage)
        .isEqualTo(new Usage(10, 5, 15, 4, 2, 0, 0, 0, 0))
        .extracting(Usage::cacheWriteInputTokens, Usage::audioInputTokens, Usage::imageInputTokens)
        .containsExactly(0L, 0L, 0L);
  }

  @Test
  void uncachedInputIsInputLessCacheReadsAndWritesNeverBelowZero() {
    assertThat(new Usage(1_000, 0, 1_000, 300, 0, 200, 0, 0, 0).uncachedInputTokens())
        .isEqualTo(500);
    assertThat(new Usage(100, 0, 100, 300, 0, 200, 0, 0, 0).uncachedInputTokens()).isZero();
  }

  @Test
  void everyDetailCountIsCheckedAndCapped() {
    assertThatThrownBy(() -> new Usage(1, 1, 2, 0, 0, -1, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cacheWrite=-1");
    Usage absurd = new Usage(1, 1, 2, 0, 0, 0, Long.MAX_VALUE, 0, 0);

    assertThat(absurd.exceedsMaxTokens()).isTrue();
    assertThat(absurd.capped().audioInputTokens()).isEqualTo(Usage.MAX_TOKENS);
  }
}
