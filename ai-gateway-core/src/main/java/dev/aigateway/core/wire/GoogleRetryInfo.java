package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Reads how long a Google API asked callers to wait from its error body: Gemini and Vertex AI send
 * no {@code Retry-After} header with a 429 ({@code RESOURCE_EXHAUSTED}) or 503 ({@code
 * UNAVAILABLE}); the wait is a {@code google.rpc.RetryInfo} entry of the error's {@code details},
 * its {@code retryDelay} a protobuf {@code Duration} in its JSON form ({@code "12s"}, {@code
 * "1.5s"}, {@code "0.000001s"}):
 *
 * <pre>{@code
 * {"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"...",
 *   "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"12s"}]}}
 * }</pre>
 *
 * <p>The same error wrapped in a one-element array (as Google's OpenAI compatibility endpoint
 * answers) is read too. Nothing here throws: a body that is not such an error, or a delay that does
 * not read (no {@code s}, a sign, more than nine fraction digits, more seconds than the protobuf
 * type allows), gives null.
 */
public final class GoogleRetryInfo {

  /** The {@code @type} of a {@code RetryInfo} detail. */
  static final String TYPE = "type.googleapis.com/google.rpc.RetryInfo";

  /**
   * The bytes without which a body holds no {@code RetryInfo}: most error bodies are not parsed.
   */
  private static final byte[] MARK = "google.rpc.RetryInfo".getBytes(StandardCharsets.US_ASCII);

  /** The protobuf {@code Duration}'s largest number of seconds (10,000 years). */
  private static final long MAX_SECONDS = 315_576_000_000L;

  private GoogleRetryInfo() {}

  /**
   * The {@code retryDelay} of the {@code google.rpc.RetryInfo} detail of the error in {@code
   * body[0, length)}, or null when it holds none that reads.
   */
  public static @Nullable Duration retryDelay(byte[] body, int length) {
    if (!contains(body, length, MARK)) {
      return null;
    }
    JsonNode document = Json.parseOrNull(body, 0, length);
    if (document != null && document.isArray() && document.size() == 1) {
      document = document.get(0);
    }
    if (document == null || !document.isObject()) {
      return null;
    }
    for (JsonNode detail : document.path("error").path("details")) {
      if (TYPE.equals(detail.path("@type").textValue())) {
        Duration delay = duration(detail.path("retryDelay").textValue());
        if (delay != null) {
          return delay;
        }
      }
    }
    return null;
  }

  /**
   * A protobuf {@code Duration} in its JSON form, {@code <seconds>[.<fraction>]s}, not negative;
   * null when {@code text} is not one.
   */
  static @Nullable Duration duration(@Nullable String text) {
    if (text == null || text.length() < 2 || text.charAt(text.length() - 1) != 's') {
      return null;
    }
    int end = text.length() - 1;
    int point = text.indexOf('.');
    int integerEnd = point < 0 ? end : point;
    if (integerEnd == 0
        || integerEnd > 12
        || (point >= 0 && (end - point < 2 || end - point > 10))) {
      return null;
    }
    long seconds = 0;
    for (int i = 0; i < integerEnd; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      seconds = seconds * 10 + (c - '0');
    }
    if (seconds > MAX_SECONDS) {
      return null;
    }
    long nanos = 0;
    if (point >= 0) {
      int digits = 0;
      for (int i = point + 1; i < end; i++, digits++) {
        char c = text.charAt(i);
        if (c < '0' || c > '9') {
          return null;
        }
        nanos = nanos * 10 + (c - '0');
      }
      for (; digits < 9; digits++) {
        nanos *= 10;
      }
    }
    return Duration.ofSeconds(seconds, nanos);
  }

  private static boolean contains(byte[] bytes, int length, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
