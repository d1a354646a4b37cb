package dev.aigateway.azure.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import okio.ByteString;
import org.junit.jupiter.api.Test;

/** Which event-stream lines are error events that end the stream as a failure. */
class StreamErrorEventsTest {

  private static String errorOf(String line) {
    return StreamErrorEvents.errorOf(ByteString.encodeUtf8(line));
  }

  @Test
  void aDataLineWithATopLevelErrorObjectIsAnErrorEvent() {
    assertThat(
            errorOf(
                "data: {\"error\":{\"message\":\"stopped\",\"type\":\"invalid_request_error\","
                    + "\"param\":\"answer\",\"code\":\"content_filter\"}}\n"))
        .isEqualTo("content_filter: stopped");
    assertThat(errorOf("data:{\"error\":{\"message\":\"overloaded\"}}\r\n"))
        .isEqualTo("overloaded");
  }

  @Test
  void chunksThatMerelyMentionAnErrorAreNot() {
    // the answer's own text, a null or text error member, a nested one, other fields, not JSON
    assertThat(
            errorOf(
                "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"error\\\" is a word\"}}]}\n"))
        .isNull();
    assertThat(errorOf("data: {\"id\":\"c1\",\"error\":null,\"choices\":[]}\n")).isNull();
    assertThat(errorOf("data: {\"error\":\"text\"}\n")).isNull();
    assertThat(errorOf("data: {\"choices\":[{\"error\":{\"message\":\"x\"}}]}\n")).isNull();
    assertThat(errorOf("event: error\n")).isNull();
    assertThat(errorOf(": \"error\" comment\n")).isNull();
    assertThat(errorOf("data: [DONE]\n")).isNull();
    assertThat(errorOf("data: {\"error\": {\n")).isNull();
  }
}
