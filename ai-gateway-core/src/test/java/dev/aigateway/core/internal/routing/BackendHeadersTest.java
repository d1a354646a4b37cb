package dev.aigateway.core.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BackendHeadersTest {

  private final TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));

  private Duration retryAfter(Map<String, String> headers) {
    return BackendHeaders.retryAfter(name -> headers.get(name), clock);
  }

  @ParameterizedTest
  @CsvSource({
      "6m0s, 360000",
      "2m52.8s, 172800",
      "547ms, 547",
      "1h2m3.5s, 3723500",
      "20ms, 20",
      "0s, 0",
      "1.5s, 1500",
      "0, 0",
  })
  void goDurationsAsOpenAiSendsThem(String text, long millis) {
    assertThat(BackendHeaders.goDuration(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void goDurationsBelowAMillisecond() {
    assertThat(BackendHeaders.goDuration("300us")).isEqualTo(Duration.ofNanos(300_000));
    assertThat(BackendHeaders.goDuration("300µs")).isEqualTo(Duration.ofNanos(300_000));
    assertThat(BackendHeaders.goDuration("10ns")).isEqualTo(Duration.ofNanos(10));
  }

  @ParameterizedTest
  @CsvSource({"''", "abc", "5", "5x", "m5s", "1m-2s", "s"})
  void garbageIsNotADuration(String text) {
    assertThat(BackendHeaders.goDuration(text)).isNull();
  }

  @Test
  void retryAfterMillisecondsWinOverSeconds() {
    assertThat(retryAfter(Map.of("retry-after-ms", "1500", "retry-after", "9")))
        .isEqualTo(Duration.ofMillis(1500));
    assertThat(retryAfter(Map.of("x-ms-retry-after-ms", "250.5")))
        .isEqualTo(Duration.ofNanos(250_500_000));
  }

  @Test
  void retryAfterInSecondsOrAsAnHttpDate() {
    assertThat(retryAfter(Map.of("retry-after", "20"))).isEqualTo(Duration.ofSeconds(20));
    assertThat(retryAfter(Map.of("retry-after", "Mon, 01 Jun 2026 10:00:45 GMT")))
        .isEqualTo(Duration.ofSeconds(45));
    assertThat(retryAfter(Map.of("retry-after", "Mon, 01 Jun 2026 09:00:00 GMT")))
        .isEqualTo(Duration.ZERO);
  }

  @Test
  void unreadableOrAbsentRetryAfterIsNull() {
    assertThat(retryAfter(Map.of())).isNull();
    assertThat(retryAfter(Map.of("retry-after", "soon"))).isNull();
    assertThat(retryAfter(Map.of("retry-after-ms", "-5"))).isNull();
  }

  @Test
  void rateLimitHeadersBecomeASnapshot() {
    Map<String, String> headers = Map.of(
        "x-ratelimit-limit-tokens", "150000", "x-ratelimit-remaining-tokens", "149984",
        "x-ratelimit-reset-tokens", "6m0s", "x-ratelimit-limit-requests", "60",
        "x-ratelimit-remaining-requests", "59", "x-ratelimit-reset-requests", "1s");

    RateLimitSnapshot snapshot = BackendHeaders.rateLimits(headers::get, clock);

    assertThat(snapshot).isEqualTo(new RateLimitSnapshot(150000, 149984,
        clock.instant().plusSeconds(360), 60, 59, clock.instant().plusSeconds(1)));
    assertThat(BackendHeaders.rateLimits(Map.<String, String>of()::get, clock)).isNull();
  }
}
