package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StoreTransitionTest {

  private static final Instant AT = Instant.parse("2026-06-01T10:00:00Z");

  @Test
  void aStoreThatStartsFailingSaysForHowLong() {
    StoreTransition t =
        new StoreTransition(
            "com.example.RedisStore",
            StoreState.HEALTHY,
            StoreState.FAILING,
            AT,
            Duration.ofSeconds(1),
            true,
            "5 reservations failed in a row; last: java.net.ConnectException");

    assertThat(t.coolDown()).isEqualTo(Duration.ofSeconds(1));
    assertThat(t.fallbackActive()).isTrue();
  }

  @Test
  void aCoolDownIsRequiredExactlyWhenTheStoreStartsFailing() {
    assertThatThrownBy(
            () ->
                new StoreTransition(
                    "s", StoreState.PROBING, StoreState.FAILING, AT, null, false, "probe failed"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("coolDown must be >= 0 when the store starts failing but was null");
    assertThatThrownBy(
            () ->
                new StoreTransition(
                    "s",
                    StoreState.PROBING,
                    StoreState.HEALTHY,
                    AT,
                    Duration.ofSeconds(1),
                    false,
                    "probe succeeded"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "coolDown must be null unless the store starts failing, but was PT1S for HEALTHY");
  }

  @Test
  void aTransitionChangesState() {
    assertThatThrownBy(
            () ->
                new StoreTransition(
                    "s", StoreState.HEALTHY, StoreState.HEALTHY, AT, null, false, "nothing"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a transition must change state but went from HEALTHY to HEALTHY");
  }
}
