package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.aigateway.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class BackendHeadersTest {

  private static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z"); // a Monday

  private final ManualClock clock = new ManualClock(NOW);

  /** Looks names up case-insensitively, as OkHttp's {@code response::header} does. */
  private static Function<String, String> headers(String... namesAndValues) {
    Map<String, String> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      map.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return map::get;
  }

  private Duration retryAfter(Map<String, String> headers) {
    return BackendHeaders.retryAfter(name -> headers.get(name), clock);
  }

  private Duration retryAfter(String name, String value) {
    return BackendHeaders.retryAfter(headers(name, value), clock);
  }

  // ---------------------------------------------------------------- Go durations

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
    "1h0m0s, 3600000",
    "59.999s, 59999",
    "'  7s  ', 7000",
    ".5s, 500",
    "1.s, 1000",
    "2h, 7200000",
    "1m1m, 120000",
    "-1.5s, -1500",
    "+2s, 2000",
    "-0, 0",
  })
  void goDurationsAsOpenAiSendsThem(String text, long millis) {
    assertThat(BackendHeaders.goDuration(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @CsvSource({
    "300us, 300000",
    "300µs, 300000", // micro sign U+00B5
    "300μs, 300000", // Greek mu U+03BC
    "10ns, 10",
    "1.9ns, 1", // fractions of a nanosecond are dropped
    "0.000000001s, 1",
    "1ms500us, 1500000",
  })
  void goDurationsBelowAMillisecond(String text, long nanos) {
    assertThat(BackendHeaders.goDuration(text)).isEqualTo(Duration.ofNanos(nanos));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        " ",
        "abc",
        "5",
        "5x",
        "m5s",
        "1m-2s",
        "s",
        "6m0",
        "1 s",
        "1.2.3s",
        "--1s",
        "-",
        "+",
        ".",
        ".s",
        "5S",
        "1d",
        "1e3s",
        "NaN",
        "1h 2m",
        "9999999999h",
        "0x10s",
        "١s"
      }) // an Arabic-Indic digit is no digit here
  void garbageIsNotADuration(String text) {
    assertThat(BackendHeaders.goDuration(text)).isNull();
  }

  // ---------------------------------------------------------------- retry-after

  @ParameterizedTest
  @CsvSource({
    "retry-after-ms, 1500, PT1.5S",
    "retry-after-ms, 12.5, PT0.0125S",
    "retry-after-ms, ' 250 ', PT0.25S",
    "retry-after-ms, 0, PT0S",
    "x-ms-retry-after-ms, 2000, PT2S",
    "X-Ms-Retry-After-Ms, 250.5, PT0.2505S",
    "Retry-After, 20, PT20S",
    "retry-after, 1.5, PT1.5S",
    "Retry-After, 0, PT0S",
    "Retry-After, 86400, PT24H",
    "Retry-After, 'Mon, 01 Jun 2026 10:00:45 GMT', PT45S",
    "Retry-After, 'Mon, 1 Jun 2026 10:00:45 GMT', PT45S",
    "Retry-After, 'Mon, 01 Jun 2026 12:00:45 +0200', PT45S",
    "Retry-After, 'Mon, 01 Jun 2026 09:00:00 GMT', PT0S", // in the past
    "Retry-After, 'Monday, 01-Jun-26 10:01:00 GMT', PT1M", // RFC 850
    "Retry-After, 'Mon Jun  1 10:02:00 2026', PT2M", // asctime
  })
  void retryAfterInEveryFormat(String name, String value, Duration expected) {
    assertThat(retryAfter(name, value)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "soon",
        "-5",
        "+5",
        "1e3",
        "NaN",
        "Infinity",
        "0x10",
        "12abc",
        "1,5",
        "Mon, 32 Jun 2026 10:00:00 GMT",
        "Tue, 01 Jun 2026 10:00:00 GMT", // wrong weekday
        "2026-06-01T10:00:45Z"
      })
  void unreadableRetryAfterIsNull(String value) {
    assertThat(retryAfter("Retry-After", value)).isNull();
    assertThat(retryAfter("retry-after-ms", value)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"99999999999999999999999", "9223372037", "1e400"})
  void aRetryAfterTooLongForADurationIsTheLongestOne(String digits) {
    String value = digits.equals("1e400") ? "1" + "0".repeat(400) : digits;

    assertThat(retryAfter("Retry-After", value)).isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
    assertThat(retryAfter("retry-after-ms", value + "000"))
        .isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
  }

  @Test
  void aYearLongRetryAfterIsReadAsAYear() {
    assertThat(retryAfter("Retry-After", "31536000")).isEqualTo(Duration.ofDays(365));
  }

  @Test
  void leadingZerosAndLongFractionsReadAsTheirValue() {
    assertThat(retryAfter("Retry-After", "0".repeat(10_000) + "7.25" + "9".repeat(10_000)))
        .isEqualTo(Duration.ofMillis(7_259).plusNanos(999_999));
  }

  @Test
  void aHugeHeaderIsReadInLittleTime() {
    String digits = "9".repeat(200_000);
    String date = "Mon, 01 Jun 2026 10:00:45 GMT" + " ".repeat(200_000) + "x";

    // A bound against super-linear parsing, not a speed claim: linear reading takes well under a
    // second here, a quadratic one hours; the margin keeps the test steady on a loaded machine.
    assertTimeoutPreemptively(
        Duration.ofSeconds(30),
        () -> {
          for (int i = 0; i < 100; i++) {
            assertThat(retryAfter("Retry-After", digits))
                .isEqualTo(Duration.ofNanos(Long.MAX_VALUE));
            assertThat(retryAfter("Retry-After", date)).isNull();
            assertThat(BackendHeaders.goDuration(digits + "h")).isNull();
          }
        });
  }

  @Test
  void retryAfterMillisecondsWinOverSeconds() {
    assertThat(retryAfter(Map.of("retry-after-ms", "1500", "retry-after", "9")))
        .isEqualTo(Duration.ofMillis(1500));
    assertThat(retryAfter(Map.of("x-ms-retry-after-ms", "250.5")))
        .isEqualTo(Duration.ofNanos(250_500_000));
  }

  @Test
  void retryAfterMsWinsOverTheAzureHeader() {
    assertThat(
            BackendHeaders.retryAfter(
                headers("x-ms-retry-after-ms", "9000", "retry-after-ms", "100"), clock))
        .isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void anUnreadableHeaderGivesWayToTheNext() {
    assertThat(
            BackendHeaders.retryAfter(
                headers("retry-after-ms", "soon", "x-ms-retry-after-ms", "bad", "Retry-After", "3"),
                clock))
        .isEqualTo(Duration.ofSeconds(3));
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
  void rfc850YearsMoreThanFiftyYearsAheadAreInThePastCentury() {
    // RFC 9110: in 2026, "94" is 1994 (2094 would be more than 50 years ahead)
    assertThat(retryAfter("Retry-After", "Sunday, 06-Nov-94 08:49:37 GMT"))
        .isEqualTo(Duration.ZERO);
    // "76" is 2076, 50 years ahead
    assertThat(retryAfter("Retry-After", "Monday, 01-Jun-76 10:00:00 GMT"))
        .isEqualTo(Duration.between(NOW, Instant.parse("2076-06-01T10:00:00Z")));
  }

  @Test
  void unreadableOrAbsentRetryAfterIsNull() {
    assertThat(retryAfter(Map.of())).isNull();
    assertThat(retryAfter(Map.of("retry-after", "soon"))).isNull();
    assertThat(retryAfter(Map.of("retry-after-ms", "-5"))).isNull();
  }

  // ---------------------------------------------------------------- rate limits

  @Test
  void rateLimitHeadersBecomeASnapshot() {
    Map<String, String> headers =
        Map.of(
            "x-ratelimit-limit-tokens",
            "150000",
            "x-ratelimit-remaining-tokens",
            "149984",
            "x-ratelimit-reset-tokens",
            "6m0s",
            "x-ratelimit-limit-requests",
            "60",
            "x-ratelimit-remaining-requests",
            "59",
            "x-ratelimit-reset-requests",
            "1s");

    RateLimitSnapshot snapshot = BackendHeaders.rateLimits(headers::get, clock);

    assertThat(snapshot)
        .isEqualTo(
            new RateLimitSnapshot(
                150000,
                149984,
                clock.instant().plusSeconds(360),
                60,
                59,
                clock.instant().plusSeconds(1)));
    assertThat(BackendHeaders.rateLimits(Map.<String, String>of()::get, clock)).isNull();
  }

  @Test
  void fractionalResetsAreExact() {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(
            headers("x-ratelimit-reset-tokens", "2m52.8s", "x-ratelimit-reset-requests", "547ms"),
            clock);

    assertThat(snapshot.tokensResetAt()).isEqualTo(NOW.plusMillis(172_800));
    assertThat(snapshot.requestsResetAt()).isEqualTo(NOW.plusMillis(547));
  }

  @Test
  void absentHeadersAreMinusOneOrNullAndCountsWithoutAResetHoldAMinute() {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(headers("X-RateLimit-Remaining-Tokens", "42"), clock);

    // No request header at all: no reset; token counts without theirs: a minute from now.
    assertThat(snapshot)
        .isEqualTo(new RateLimitSnapshot(-1, 42, NOW.plusSeconds(60), -1, -1, null));
  }

  @Test
  void azureOpenAisCountsWithoutResetsHoldForAMinute() {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(
            headers(
                "x-ratelimit-remaining-tokens", "61353", "x-ratelimit-remaining-requests", "79"),
            clock);

    assertThat(snapshot)
        .isEqualTo(
            new RateLimitSnapshot(-1, 61353, NOW.plusSeconds(60), -1, 79, NOW.plusSeconds(60)));
  }

  @Test
  void aResetInPlainSecondsIsRead() {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(headers("x-ratelimit-reset-requests", "20"), clock);

    assertThat(snapshot.requestsResetAt()).isEqualTo(NOW.plusSeconds(20));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-5", "many", "1.5", "1e6", "99999999999999999999", "0x10"})
  void unreadableCountsAreMinusOne(String value) {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(
            headers("x-ratelimit-limit-tokens", value, "x-ratelimit-remaining-requests", "7"),
            clock);

    assertThat(snapshot.limitTokens()).isEqualTo(-1);
    assertThat(snapshot.remainingRequests()).isEqualTo(7);
  }

  @Test
  void zeroRemainingIsKnownNotAbsent() {
    RateLimitSnapshot snapshot =
        BackendHeaders.rateLimits(headers("x-ratelimit-remaining-requests", "0"), clock);

    assertThat(snapshot.remainingRequests()).isZero();
  }

  @Test
  void onlyUnreadableHeadersGiveNoSnapshot() {
    assertThat(
            BackendHeaders.rateLimits(
                headers(
                    "x-ratelimit-remaining-tokens", "lots", "x-ratelimit-reset-tokens", "later"),
                clock))
        .isNull();
  }

  @Test
  void a429sWaitWithoutRetryAfterIsTheResetOfItsSpentWindow() {
    // Azure OpenAI: tokens spent, the wait in x-ratelimit-reset-tokens (seconds), no Retry-After.
    assertThat(
            BackendHeaders.resetOfSpentWindow(
                headers(
                    "x-ratelimit-reset-tokens", "30",
                    "x-ratelimit-remaining-tokens", "0",
                    "x-ratelimit-remaining-requests", "79")))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(BackendHeaders.resetOfSpentWindow(headers("x-ratelimit-reset-tokens", "55")))
        .isEqualTo(Duration.ofSeconds(55));
    // Only the spent window's reset counts; of two spent, the later.
    assertThat(
            BackendHeaders.resetOfSpentWindow(
                headers(
                    "x-ratelimit-remaining-requests", "0",
                    "x-ratelimit-reset-requests", "1s",
                    "x-ratelimit-remaining-tokens", "5000",
                    "x-ratelimit-reset-tokens", "6m0s")))
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(
            BackendHeaders.resetOfSpentWindow(
                headers(
                    "x-ratelimit-remaining-requests", "0",
                    "x-ratelimit-reset-requests", "1s",
                    "x-ratelimit-remaining-tokens", "0",
                    "x-ratelimit-reset-tokens", "2m52.8s")))
        .isEqualTo(Duration.ofMillis(172_800));
    // Nothing spent, no reset, or one that does not read: no wait.
    assertThat(
            BackendHeaders.resetOfSpentWindow(
                headers("x-ratelimit-remaining-tokens", "9", "x-ratelimit-reset-tokens", "30")))
        .isNull();
    assertThat(BackendHeaders.resetOfSpentWindow(headers("x-ratelimit-remaining-tokens", "0")))
        .isNull();
    assertThat(BackendHeaders.resetOfSpentWindow(headers("x-ratelimit-reset-tokens", "-5s")))
        .isNull();
    assertThat(BackendHeaders.resetOfSpentWindow(headers("x-ratelimit-reset-tokens", "soon")))
        .isNull();
  }

  @Test
  void unrelatedHeadersGiveNoSnapshot() {
    assertThat(
            BackendHeaders.rateLimits(
                headers("content-type", "application/json", "retry-after", "5"), clock))
        .isNull();
  }
}
