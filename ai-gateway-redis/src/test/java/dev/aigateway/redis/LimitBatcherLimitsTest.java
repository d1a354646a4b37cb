package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A batch describes each limit once and numbers its descriptions from 1, in order of first use. */
class LimitBatcherLimitsTest {

  @Test
  void eachDescriptionIsNumberedOnceByIdentityInOrderOfFirstUse() {
    LimitBatcher.Limits limits = new LimitBatcher.Limits();
    String[] rate = {"r", "1", "2", "3", "0.5"};
    String[] quota = {"q", "10", "20", "30", "40"};
    String[] sameTermsOtherArray = {"r", "1", "2", "3", "0.5"};

    assertThat(limits.number(rate)).isEqualTo("1");
    assertThat(limits.number(quota)).isEqualTo("2");
    assertThat(limits.number(rate)).isEqualTo("1");
    assertThat(limits.number(quota)).isEqualTo("2");
    assertThat(limits.number(sameTermsOtherArray)).isEqualTo("3");
    assertThat(limits.size()).isEqualTo(3);
  }

  @Test
  void aDescriptionHasFiveFields() {
    LimitBatcher.Limits limits = new LimitBatcher.Limits();
    assertThatThrownBy(() -> limits.number(new String[] {"r", "1"}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(limits.size()).isZero();
  }
}
