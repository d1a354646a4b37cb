package dev.aigateway.core.routing;

import dev.aigateway.core.pipeline.Rejection;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads what backends say about their limits: how long to wait ({@code retry-after-ms}, {@code
 * x-ms-retry-after-ms}, {@code Retry-After}) and their rate-limit headers ({@code x-ratelimit-*},
 * as OpenAI and Azure OpenAI send them). Free of any HTTP client: headers come through a lookup
 * function such as OkHttp's {@code response::header}, which must match names case-insensitively and
 * return null for an absent header. Nothing here throws on a bad value; it is treated as absent. A
 * value of any length is read in time proportional to a few dozen characters: a wait too long for a
 * {@link Duration} of nanoseconds (about 292 years) is read as that longest one, and callers cap it
 * ({@link dev.aigateway.core.CircuitBreakerPolicy}).
 */
final class BackendHeaders {

  /** Milliseconds to wait, possibly fractional (OpenAI, Azure OpenAI). */
  public static final String RETRY_AFTER_MS = Rejection.RETRY_AFTER_MS;

  /** Milliseconds to wait (Azure). */
  public static final String X_MS_RETRY_AFTER_MS = "x-ms-retry-after-ms";

  /** Seconds to wait, or an HTTP date (RFC 9110's {@code Retry-After}). */
  public static final String RETRY_AFTER = Rejection.RETRY_AFTER;

  /** The token limit of the current window. */
  public static final String LIMIT_TOKENS = "x-ratelimit-limit-tokens";

  /** The tokens left in the current window. */
  public static final String REMAINING_TOKENS = "x-ratelimit-remaining-tokens";

  /** How long until the token window resets, as a Go duration ({@code 6m0s}). */
  public static final String RESET_TOKENS = "x-ratelimit-reset-tokens";

  /** The request limit of the current window. */
  public static final String LIMIT_REQUESTS = "x-ratelimit-limit-requests";

  /** The requests left in the current window. */
  public static final String REMAINING_REQUESTS = "x-ratelimit-remaining-requests";

  /** How long until the request window resets, as a Go duration ({@code 1s}). */
  public static final String RESET_REQUESTS = "x-ratelimit-reset-requests";

  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);
  private static final BigDecimal MIN_NANOS = BigDecimal.valueOf(Long.MIN_VALUE);

  /** The longest wait read: {@code Long.MAX_VALUE} nanoseconds. */
  private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

  /** Integer digits past which a wait is longer than {@link #LONGEST} in any unit read here. */
  private static final int MAX_INTEGER_DIGITS = 19;

  /** Fraction digits read; the units are at least a millisecond, so more are below a nanosecond. */
  private static final int MAX_FRACTION_DIGITS = 9;

  /** Go durations and HTTP dates longer than this are not read (no real one comes close). */
  private static final int MAX_TEXT_LENGTH = 64;

  /** RFC 9110's obsolete RFC 850 date, {@code Sunday, 06-Nov-94 08:49:37 GMT}; year added. */
  private static final String RFC_850_PATTERN = "EEEE, dd-MMM-";

  /** RFC 9110's obsolete asctime date, {@code Sun Nov 6 08:49:37 1994}. */
  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.US).withZone(ZoneOffset.UTC);

  private BackendHeaders() {}

  /**
   * How long the backend asked callers to wait, from the first of these that reads: {@code
   * retry-after-ms} and {@code x-ms-retry-after-ms} (milliseconds, possibly fractional), then
   * {@code Retry-After} (seconds, possibly fractional, or an HTTP date in any of RFC 9110's three
   * formats, measured from the clock; a date in the past gives zero). A number too large for a
   * {@link Duration} of nanoseconds gives the longest one; a negative one does not read.
   *
   * @param header looks a header up by name, case-insensitively; null when absent
   * @return the wait, or null when no header is present or none reads
   */
  public static @Nullable Duration retryAfter(
      Function<String, @Nullable String> header, Clock clock) {
    Duration wait = decimal(header.apply(RETRY_AFTER_MS), NANOS_PER_MILLI);
    if (wait == null) {
      wait = decimal(header.apply(X_MS_RETRY_AFTER_MS), NANOS_PER_MILLI);
    }
    if (wait == null) {
      String value = header.apply(RETRY_AFTER);
      if (value != null) {
        wait = decimal(value, NANOS_PER_SECOND);
        if (wait == null) {
          wait = untilDate(value.trim(), clock);
        }
      }
    }
    return wait;
  }

  /**
   * How long a 429 that names no wait of its own ({@link #retryAfter} finds none) keeps its backend
   * out, per its rate-limit headers: the reset ({@code x-ratelimit-reset-tokens}, {@code
   * -reset-requests}: a Go duration or seconds) of each window whose remaining count ({@code
   * x-ratelimit-remaining-*}) is 0 or not given, the longest of them. Azure OpenAI answers some
   * token-rate 429s so, with {@code x-ratelimit-reset-tokens} in seconds and no {@code
   * Retry-After}.
   *
   * @param header looks a header up by name, case-insensitively; null when absent
   * @return the wait, or null when no spent window's reset reads (a negative one does not)
   */
  static @Nullable Duration resetOfSpentWindow(Function<String, @Nullable String> header) {
    Duration tokens =
        count(header.apply(REMAINING_TOKENS)) <= 0 ? reset(header.apply(RESET_TOKENS)) : null;
    Duration requests =
        count(header.apply(REMAINING_REQUESTS)) <= 0 ? reset(header.apply(RESET_REQUESTS)) : null;
    if (tokens != null && tokens.isNegative()) {
      tokens = null;
    }
    if (requests != null && requests.isNegative()) {
      requests = null;
    }
    if (tokens == null || (requests != null && requests.compareTo(tokens) > 0)) {
      return requests;
    }
    return tokens;
  }

  /**
   * Parses a duration written as Go's {@code time.Duration.String()} writes it, which OpenAI uses
   * in {@code x-ratelimit-reset-*}: a sequence of decimal numbers, each with a unit of {@code h},
   * {@code m}, {@code s}, {@code ms}, {@code us} (or {@code µs}), {@code ns}, with an optional
   * sign; for example {@code 6m0s}, {@code 2m52.8s}, {@code 547ms}, {@code 1h2m3.5s}, {@code 0}.
   * Accepts what Go's {@code time.ParseDuration} accepts; fractions of a nanosecond are dropped.
   *
   * @return the duration, or null when the text is null or does not read
   */
  public static @Nullable Duration goDuration(@Nullable String text) {
    if (text == null) {
      return null;
    }
    String s = text.trim();
    if (s.length() > MAX_TEXT_LENGTH) {
      return null;
    }
    int i = 0;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    if (s.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == s.length()) {
      return null;
    }
    BigDecimal nanos = BigDecimal.ZERO;
    while (i < s.length()) {
      int numberStart = i;
      boolean digits = false;
      boolean point = false;
      for (; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c >= '0' && c <= '9') {
          digits = true;
        } else if (c == '.' && !point) {
          point = true;
        } else {
          break;
        }
      }
      if (!digits) {
        return null;
      }
      String number = s.substring(numberStart, i);
      int unitStart = i;
      while (i < s.length() && s.charAt(i) != '.' && (s.charAt(i) < '0' || s.charAt(i) > '9')) {
        i++;
      }
      long unitNanos = goUnitNanos(s.substring(unitStart, i));
      if (unitNanos == 0) {
        return null;
      }
      nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(unitNanos)));
    }
    return nanosOrNull(negative ? nanos.negate() : nanos);
  }

  /**
   * How long counts sent without a reset time are taken to hold: a minute, the window the
   * per-minute token and request limits of Azure OpenAI (which sends {@code
   * x-ratelimit-remaining-tokens} and {@code -requests} only, never a limit or a reset) are counted
   * in.
   */
  static final Duration COUNTS_WITHOUT_RESET_HOLD = Duration.ofMinutes(1);

  /**
   * The backend's rate-limit headers: {@code x-ratelimit-limit-tokens}, {@code -remaining-tokens},
   * {@code -reset-tokens}, {@code -limit-requests}, {@code -remaining-requests}, {@code
   * -reset-requests}. Counts must be non-negative integers; resets are Go durations ({@link
   * #goDuration}) or plain seconds, taken from the clock's now. Token or request counts that come
   * without their reset (Azure OpenAI's) are given one {@link #COUNTS_WITHOUT_RESET_HOLD} from now:
   * held for ever, a backend that was once short of tokens would be skipped by capacity-aware
   * balancing until every other backend was short too, as no call would bring its new counts.
   *
   * @param header looks a header up by name, case-insensitively; null when absent
   * @return the snapshot with -1 / null for what is absent or unreadable, or null when none of the
   *     six headers is present and readable
   */
  public static @Nullable RateLimitSnapshot rateLimits(
      Function<String, @Nullable String> header, Clock clock) {
    long limitTokens = count(header.apply(LIMIT_TOKENS));
    long remainingTokens = count(header.apply(REMAINING_TOKENS));
    Duration tokensReset = reset(header.apply(RESET_TOKENS));
    long limitRequests = count(header.apply(LIMIT_REQUESTS));
    long remainingRequests = count(header.apply(REMAINING_REQUESTS));
    Duration requestsReset = reset(header.apply(RESET_REQUESTS));
    if (limitTokens < 0
        && remainingTokens < 0
        && tokensReset == null
        && limitRequests < 0
        && remainingRequests < 0
        && requestsReset == null) {
      return null;
    }
    if (tokensReset == null && (limitTokens >= 0 || remainingTokens >= 0)) {
      tokensReset = COUNTS_WITHOUT_RESET_HOLD;
    }
    if (requestsReset == null && (limitRequests >= 0 || remainingRequests >= 0)) {
      requestsReset = COUNTS_WITHOUT_RESET_HOLD;
    }
    Instant now = tokensReset == null && requestsReset == null ? null : clock.instant();
    return new RateLimitSnapshot(
        limitTokens,
        remainingTokens,
        tokensReset == null ? null : now.plus(tokensReset),
        limitRequests,
        remainingRequests,
        requestsReset == null ? null : now.plus(requestsReset));
  }

  private static long goUnitNanos(String unit) {
    switch (unit) {
      case "ns":
        return 1L;
      case "us":
      case "\u00b5s": // micro sign
      case "\u03bcs": // Greek small letter mu
        return 1_000L;
      case "ms":
        return NANOS_PER_MILLI;
      case "s":
        return NANOS_PER_SECOND;
      case "m":
        return 60 * NANOS_PER_SECOND;
      case "h":
        return 3_600 * NANOS_PER_SECOND;
      default:
        return 0;
    }
  }

  private static @Nullable Duration reset(@Nullable String value) {
    Duration d = goDuration(value);
    return d != null ? d : decimal(value, NANOS_PER_SECOND);
  }

  /** A non-negative integer, or -1. */
  private static long count(@Nullable String value) {
    if (value == null) {
      return -1;
    }
    String s = value.trim();
    if (s.isEmpty() || s.length() > 18) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(s);
  }

  /**
   * A non-negative decimal ({@code 12}, {@code 12.5}, {@code .5}) of units, or null; one too large
   * is {@link #LONGEST}. Only its first significant digits are handed to {@link BigDecimal}, so a
   * hostile value of any length costs no more than a short one.
   */
  private static @Nullable Duration decimal(@Nullable String value, long nanosPerUnit) {
    if (value == null) {
      return null;
    }
    String s = value.trim();
    boolean digits = false;
    int point = -1;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits = true;
      } else if (c == '.' && point < 0) {
        point = i;
      } else {
        return null;
      }
    }
    if (!digits) {
      return null;
    }
    int integerEnd = point < 0 ? s.length() : point;
    int significant = 0;
    while (significant < integerEnd && s.charAt(significant) == '0') {
      significant++;
    }
    if (integerEnd - significant > MAX_INTEGER_DIGITS) {
      return LONGEST;
    }
    String read =
        s.substring(
            significant,
            point < 0 ? integerEnd : Math.min(s.length(), point + 1 + MAX_FRACTION_DIGITS));
    BigDecimal units = read.isEmpty() || read.equals(".") ? BigDecimal.ZERO : new BigDecimal(read);
    BigDecimal nanos = units.multiply(BigDecimal.valueOf(nanosPerUnit));
    return nanos.compareTo(MAX_NANOS) > 0 ? LONGEST : nanosOrNull(nanos);
  }

  private static @Nullable Duration nanosOrNull(BigDecimal nanos) {
    if (nanos.compareTo(MAX_NANOS) > 0 || nanos.compareTo(MIN_NANOS) < 0) {
      return null;
    }
    BigInteger whole = nanos.setScale(0, RoundingMode.DOWN).toBigIntegerExact();
    return Duration.ofNanos(whole.longValueExact());
  }

  /** The wait until an HTTP date, zero when it has passed, null when it does not read. */
  private static @Nullable Duration untilDate(String value, Clock clock) {
    Instant at = httpDate(value, clock);
    if (at == null) {
      return null;
    }
    Duration wait = Duration.between(clock.instant(), at);
    return wait.isNegative() ? Duration.ZERO : wait;
  }

  private static @Nullable Instant httpDate(String value, Clock clock) {
    if (value.length() > MAX_TEXT_LENGTH) {
      return null;
    }
    try {
      return DateTimeFormatter.RFC_1123_DATE_TIME.parse(value, Instant::from);
    } catch (RuntimeException notImfFixdate) {
      // fall through to the obsolete formats
    }
    try {
      return ASCTIME.parse(value, Instant::from);
    } catch (RuntimeException notAsctime) {
      // fall through
    }
    try {
      // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
      int baseYear = clock.instant().atZone(ZoneOffset.UTC).getYear() - 49;
      DateTimeFormatter rfc850 =
          new DateTimeFormatterBuilder()
              .appendPattern(RFC_850_PATTERN)
              .appendValueReduced(ChronoField.YEAR, 2, 2, baseYear)
              .appendPattern(" HH:mm:ss 'GMT'")
              .toFormatter(Locale.US)
              .withZone(ZoneOffset.UTC);
      return rfc850.parse(value, Instant::from);
    } catch (RuntimeException garbage) {
      return null;
    }
  }
}
