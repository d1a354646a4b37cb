package dev.aigateway.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackgroundResponsesTest {

  @Test
  void aPollIsAGetOfAResponseOrAPostOfItsCancel() {
    assertThat(BackgroundResponses.polledId("GET", "/v1/responses/resp_1")).isEqualTo("resp_1");
    assertThat(BackgroundResponses.polledId("GET", "/openai/responses/resp_1")).isEqualTo("resp_1");
    assertThat(BackgroundResponses.polledId("GET", "/openai/v1/responses/resp_1"))
        .isEqualTo("resp_1");
    assertThat(BackgroundResponses.polledId("POST", "/v1/responses/resp_1/cancel"))
        .isEqualTo("resp_1");

    assertThat(BackgroundResponses.polledId("POST", "/v1/responses/resp_1")).isNull();
    assertThat(BackgroundResponses.polledId("DELETE", "/v1/responses/resp_1")).isNull();
    assertThat(BackgroundResponses.polledId("GET", "/v1/responses/resp_1/input_items")).isNull();
    assertThat(BackgroundResponses.polledId("GET", "/v1/responses/")).isNull();
    assertThat(BackgroundResponses.polledId("GET", "/v1/responses")).isNull();
    assertThat(BackgroundResponses.polledId("POST", "/v1/responses//cancel")).isNull();
    assertThat(BackgroundResponses.polledId("POST", "/cancel")).isNull();
    assertThat(BackgroundResponses.polledId("GET", "/v1/models")).isNull();
  }

  @Test
  void itsBoundsAreChecked() {
    Clock clock = Clock.systemUTC();
    assertThatThrownBy(() -> new BackgroundResponses(-1, 1, Duration.ofMinutes(1), clock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BackgroundResponses(1, 1, Duration.ZERO, clock))
        .isInstanceOf(IllegalArgumentException.class);
    BackgroundResponses none = new BackgroundResponses(0, 1, Duration.ofMinutes(1), clock);
    assertThat(none.size()).isZero();
    assertThat(none.awaits("resp_1")).isFalse();
    none.polled("resp_1", new byte[] {'{', '}'}, 0, 2); // nothing waits: nothing happens
    none.polled("resp_1", new byte[] {'x'}, 0, 1);
    assertThat(none.size()).isZero();
  }
}
