package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Google errors' {@code google.rpc.RetryInfo} read as the wait a 429 or 503 asks for. */
class GoogleRetryInfoTest {

  private static Duration read(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return GoogleRetryInfo.retryDelay(bytes, bytes.length);
  }

  private static String error(String details) {
    return "{\"error\":{\"code\":429,\"message\":\"Resource exhausted\","
        + "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":["
        + details
        + "]}}";
  }

  private static String retryInfo(String delay) {
    return "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\""
        + delay
        + "\"}";
  }

  @Test
  void theRetryDelayOfAGoogleErrorIsItsWait() {
    assertThat(read(error(retryInfo("12s")))).isEqualTo(Duration.ofSeconds(12));
    assertThat(read(error(retryInfo("1.5s")))).isEqualTo(Duration.ofMillis(1500));
    assertThat(read(error(retryInfo("0.000000001s")))).isEqualTo(Duration.ofNanos(1));
    assertThat(read(error(retryInfo("0s")))).isEqualTo(Duration.ZERO);
    assertThat(read(error(retryInfo("315576000000s"))))
        .isEqualTo(Duration.ofSeconds(315576000000L));
    String quota =
        "{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{}]}";
    assertThat(read(error(quota + "," + retryInfo("30s")))).isEqualTo(Duration.ofSeconds(30));
    assertThat(read("[" + error(retryInfo("7s")) + "]"))
        .as("the OpenAI compatibility endpoint's array-wrapped error")
        .isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void aDelayThatDoesNotReadOrAnErrorWithoutOneGivesNoWait() {
    for (String delay :
        new String[] {
          "",
          "s",
          "12",
          "-1s",
          "+1s",
          "1.s",
          ".5s",
          "1.5ms",
          "1e3s",
          "1.0000000001s",
          "315576000001s",
          "9999999999999s",
          " 1s",
          "1s "
        }) {
      assertThat(read(error(retryInfo(delay)))).as(delay).isNull();
    }
    assertThat(read(error("{\"@type\":\"type.googleapis.com/google.rpc.Help\"}"))).isNull();
    assertThat(read("{\"error\":{\"code\":429}}")).isNull();
    assertThat(read("not json google.rpc.RetryInfo")).isNull();
    assertThat(read(error(retryInfo("12s")).substring(0, 40))).isNull();
    assertThat(
            read(
                error(
                    "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":12}")))
        .isNull();
  }
}
