package dev.aigateway.core.internal.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads what backends say about their limits: retry-after headers and x-ratelimit-* headers. */
public final class BackendHeaders {

  private static final Pattern GO_PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(h|ms|us|µs|μs|ns|m|s)");

  private BackendHeaders() {}

  /**
   * How long the backend asked to wait: {@code retry-after-ms}, {@code x-ms-retry-after-ms}
   * (milliseconds), or {@code Retry-After} (seconds or an HTTP date); null when absent or
   * unreadable. A date in the past is zero.
   */
  public static Duration retryAfter(Function<String, String> header, Clock clock) {
    for (String name : new String[] {"retry-after-ms", "x-ms-retry-after-ms"}) {
      Duration millis = number(header.apply(name), 1_000_000L);
      if (millis != null) {
        return millis;
      }
    }
    String value = header.apply("retry-after");
    if (value == null) {
      return null;
    }
    Duration seconds = number(value, 1_000_000_000L);
    if (seconds != null) {
      return seconds;
    }
    try {
      Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
          .toInstant();
      Duration wait = Duration.between(clock.instant(), at);
      return wait.isNegative() ? Duration.ZERO : wait;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Parses a Go duration as OpenAI sends it in reset headers ({@code 6m0s}, {@code 2m52.8s},
   * {@code 547ms}); null when unreadable.
   */
  public static Duration goDuration(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String s = text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = GO_PART.matcher(s);
    double nanos = 0;
    int at = 0;
    while (at < s.length() && m.find(at) && m.start() == at) {
      double amount = Double.parseDouble(m.group(1));
      nanos += amount * switch (m.group(2)) {
        case "h" -> 3_600e9;
        case "m" -> 60e9;
        case "s" -> 1e9;
        case "ms" -> 1e6;
        case "ns" -> 1;
        default -> 1e3; // us, µs, μs
      };
      at = m.end();
    }
    return at == s.length() && at > 0 ? Duration.ofNanos(Math.round(nanos)) : null;
  }

  /** The backend's {@code x-ratelimit-*} headers, or null when it sent none. */
  public static RateLimitSnapshot rateLimits(Function<String, String> header, Clock clock) {
    String remainingTokens = header.apply("x-ratelimit-remaining-tokens");
    String remainingRequests = header.apply("x-ratelimit-remaining-requests");
    if (remainingTokens == null && remainingRequests == null
        && header.apply("x-ratelimit-limit-tokens") == null) {
      return null;
    }
    Instant now = clock.instant();
    return new RateLimitSnapshot(
        count(header.apply("x-ratelimit-limit-tokens")), count(remainingTokens),
        resetAt(header.apply("x-ratelimit-reset-tokens"), now),
        count(header.apply("x-ratelimit-limit-requests")), count(remainingRequests),
        resetAt(header.apply("x-ratelimit-reset-requests"), now));
  }

  private static Instant resetAt(String value, Instant now) {
    Duration d = goDuration(value);
    return d == null ? null : now.plus(d);
  }

  private static long count(String value) {
    if (value == null) {
      return -1;
    }
    try {
      long n = Long.parseLong(value.trim());
      return n < 0 ? -1 : n;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Duration number(String value, long nanosPerUnit) {
    if (value == null) {
      return null;
    }
    try {
      double amount = Double.parseDouble(value.trim());
      if (!(amount >= 0) || Double.isInfinite(amount)) {
        return null;
      }
      return Duration.ofNanos(Math.round(amount * nanosPerUnit));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
