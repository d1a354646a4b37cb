package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonBodyTest {

  private static final String CHAT_RESPONSE =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          + "\"content\":\"Grüße 🌍\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":4,\"total_tokens\":25,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":8},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}";

  private static final Usage CHAT_USAGE = new Usage(21, 4, 25, 8, 2);

  private static final int LARGE_LIMIT = 1 << 20;

  private final RecordingBodyListener listener = new RecordingBodyListener();

  private JsonBody body(byte[] bytes, int maxCopyBytes, int... pieces) {
    return new JsonBody(
        new PiecewiseInputStream(bytes, pieces), listener, () -> false, maxCopyBytes);
  }

  private static byte[] readAll(InputStream in, int bufferSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[bufferSize];
    int n;
    while ((n = in.read(buffer, 0, buffer.length)) != -1) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- usage

  @ParameterizedTest(name = "pieces of {0}")
  @ValueSource(ints = {1, 3, 7})
  void usageIsReadOnceTheBodyWasReadToItsEnd(int piece) throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, piece);

    readAll(body, 5);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.failure()).isNull();
    assertThat(end.facts().usage()).isEqualTo(CHAT_USAGE);
    assertThat(end.facts().model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(end.facts().complete()).isTrue();
  }

  @Test
  void bodyDoesNotEndBeforeEof() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 7);
    byte[] buffer = new byte[sent.length];
    int read = 0;
    while (read < sent.length) {
      read += body.read(buffer, read, sent.length - read);
    }
    int endsBeforeEof = listener.ends.size();

    int eof = body.read(buffer, 0, 1);

    assertThat(endsBeforeEof).isZero();
    assertThat(eof).isEqualTo(-1);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "embeddings | `{\"object\":\"list\",\"data\":[],\"model\":\"text-embedding-3-small\","
            + "\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}` | 8 | 0 | 8",
        "responses | `{\"id\":\"r1\",\"model\":\"gpt-4.1\",\"output\":[],"
            + "\"usage\":{\"input_tokens\":5,\"output_tokens\":3,\"total_tokens\":8}}` | 5 | 3 | 8",
        "completions | `{\"choices\":[{\"text\":\"hi\"}],"
            + "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}` | 2 | 1 | 3"
      })
  void usageOfEveryResponseShapeIsRead(
      String name, String json, long input, long output, long total) throws IOException {
    JsonBody body = body(json.getBytes(UTF_8), LARGE_LIMIT, 4);

    readAll(body, 64);

    Usage usage = listener.onlyEnd().facts().usage();
    assertThat(usage.inputTokens()).isEqualTo(input);
    assertThat(usage.outputTokens()).isEqualTo(output);
    assertThat(usage.totalTokens()).isEqualTo(total);
  }

  @Test
  void documentWithoutUsageEndsWithSuccessAndNoUsage() throws IOException {
    JsonBody body = body("{\"id\":\"x\",\"choices\":[]}".getBytes(UTF_8), LARGE_LIMIT, 7);

    readAll(body, 64);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().complete()).isTrue();
  }

  // ---------------------------------------------------------------- bytes

  @ParameterizedTest(name = "app buffer {0}")
  @ValueSource(ints = {1, 2, 13, 8192})
  void bytesReachTheAppUnchanged(int bufferSize) throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 1, 7, 3);

    byte[] seen = readAll(body, bufferSize);

    assertThat(seen).isEqualTo(sent);
  }

  @Test
  void appReadingOneByteAtATimeSeesTheSameBytes() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 5);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();

    int b;
    while ((b = body.read()) != -1) {
      seen.write(b);
    }

    assertThat(seen.toByteArray()).isEqualTo(sent);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  // ---------------------------------------------------------------- bounds

  @Test
  void oversizedBodyPassesThroughUnchanged() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, sent.length - 1, 7);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
  }

  @Test
  void oversizedBodyYieldsNoUsageAndEndsWithSuccess() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, sent.length - 1, 7);

    readAll(body, 8192);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().complete()).isFalse();
  }

  @Test
  void bodyOfExactlyMaxCopyBytesIsStillRead() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body = body(sent, sent.length, 7);

    readAll(body, 8192);

    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void bodyLargerThanTheInitialCopyBufferIsRead() throws IOException {
    String padding = "x".repeat(5000);
    byte[] sent = CHAT_RESPONSE.replace("Grüße 🌍", padding).getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 7);

    readAll(body, 333);

    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  // ---------------------------------------------------------------- text, to estimate

  @Test
  void documentReportingUsageKeepsNoText() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 7);

    readAll(body, 8192);

    assertThat(listener.onlyEnd().facts().text().toString()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "chat | `{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"Grüße 🌍\"}}]}`"
            + " | Grüße 🌍",
        "tool calls | `{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":["
            + "{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}` | f{}",
        "completions | `{\"choices\":[{\"text\":\"a\"},{\"text\":\"b\"}]}` | ab",
        "responses | `{\"output\":[{\"content\":[{\"text\":\"x\"}]},"
            + "{\"type\":\"function_call\",\"arguments\":\"{}\"}]}` | x{}",
        "usage without counts | `{\"choices\":[{\"text\":\"t\"}],\"usage\":{}}` | t",
        "usage null | `{\"choices\":[{\"text\":\"t\"}],\"usage\":null}` | t"
      })
  void textOfEveryShapeIsKeptWhenNoUsageIsReported(String name, String json, String text)
      throws IOException {
    JsonBody body = body(json.getBytes(UTF_8), LARGE_LIMIT, 3);

    readAll(body, 64);

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().text().toString()).isEqualTo(text);
    assertThat(end.facts().complete()).isTrue();
  }

  @Test
  void textOfALargeDocumentWithoutUsageIsKept() throws IOException {
    String padding = "x".repeat(5000);
    byte[] sent =
        ("{\"choices\":[{\"message\":{\"content\":\"" + padding + "\"}}]}").getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 7);

    readAll(body, 333);

    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo(padding);
  }

  @Test
  void lastOfDuplicateMembersCountsAsAJsonTreeWouldHaveIt() throws IOException {
    String json =
        "{\"model\":\"a\",\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1},"
            + "\"model\":\"b\",\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,"
            + "\"total_tokens\":3}}";
    JsonBody body = body(json.getBytes(UTF_8), LARGE_LIMIT, 7);

    readAll(body, 64);

    assertThat(listener.onlyEnd().facts().model()).isEqualTo("b");
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(Usage.of(2, 1));
  }

  // ---------------------------------------------------------------- malformed

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"usage\":{\"prompt_tokens\":3,}}",
        "not json at all",
        "<html>502 Bad Gateway</html>",
        "[{\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}]",
        "\"usage\""
      })
  void malformedOrNonObjectBodyYieldsNoUsageAndEndsWithSuccess(String text) throws IOException {
    byte[] sent = text.getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 3);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().complete()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}",
        "{\"id\":\"c1\",\"choices\":[{\"message\":{\"content\":\"Hel",
        "{\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":12"
      })
  void aDocumentCutShortEndsTruncatedWithoutUsage(String text) throws IOException {
    byte[] sent = text.getBytes(UTF_8);
    JsonBody body = body(sent, LARGE_LIMIT, 3);

    byte[] seen = readAll(body, 8192);

    assertThat(seen).isEqualTo(sent);
    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.facts().usage()).isNull();
    assertThat(end.facts().complete()).isFalse();
  }

  @Test
  void emptyBodyEndsWithSuccessWithoutFirstBytes() throws IOException {
    JsonBody body = body(new byte[0], LARGE_LIMIT, 1);

    int n = body.read(new byte[8], 0, 8);

    assertThat(n).isEqualTo(-1);
    assertThat(listener.firstBytes).isZero();
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  // ---------------------------------------------------------------- how the body ended

  @Test
  void firstBytesIsReportedOnce() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 1);

    readAll(body, 1);

    assertThat(listener.firstBytes).isEqualTo(1);
  }

  @Test
  void closeBeforeTheEndEndsCancelledOnce() throws IOException {
    PiecewiseInputStream upstream = new PiecewiseInputStream(CHAT_RESPONSE.getBytes(UTF_8), 7);
    JsonBody body = new JsonBody(upstream, listener, () -> false, LARGE_LIMIT);
    body.read(new byte[10], 0, 10);

    body.close();
    body.close();

    assertThat(upstream.closed).isTrue();
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.CANCELLED);
    assertThat(listener.onlyEnd().facts().usage()).isNull();
  }

  @Test
  void closeAfterTheEndDoesNotReportAgain() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 7);
    readAll(body, 8192);

    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  @ParameterizedTest(name = "cancelled={0} -> {1}")
  @CsvSource({"false, TRUNCATED", "true, CANCELLED"})
  void failedReadEndsTruncatedOrCancelledAsTheCallWasCancelled(
      boolean cancelled, CallOutcome expected) {
    PiecewiseInputStream upstream =
        new PiecewiseInputStream(CHAT_RESPONSE.getBytes(UTF_8), 7).failingAfter(30);
    JsonBody body = new JsonBody(upstream, listener, () -> cancelled, LARGE_LIMIT);

    assertThatThrownBy(() -> readAll(body, 8192)).isSameAs(upstream.failure);

    assertThat(listener.onlyEnd().outcome()).isEqualTo(expected);
    assertThat(listener.onlyEnd().failure()).isSameAs(upstream.failure);
    assertThat(listener.onlyEnd().facts().usage()).isNull();
  }

  @Test
  void closingAfterJacksonReadTheWholeDocumentStillReadsTheUsage() throws IOException {
    byte[] sent = CHAT_RESPONSE.getBytes(UTF_8);
    JsonBody body =
        new JsonBody(new ByteArrayInputStream(sent), listener, () -> false, LARGE_LIMIT);

    JsonNode parsed;
    try (InputStream in = body) {
      parsed = Json.MAPPER.readTree(in);
    }

    assertThat(parsed.path("usage").path("total_tokens").asInt()).isEqualTo(25);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
  }

  // ---------------------------------------------------------------- an end held back

  @Test
  void anEndHeldBackIsReportedWhenReleasedAndOnlyThen() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 7);
    body.holdEnd();

    readAll(body, 8192);
    assertThat(body.read(new byte[4], 0, 4)).isEqualTo(-1); // reading on changes nothing
    assertThat(listener.ends).isEmpty();

    body.releaseEnd();
    body.releaseEnd();
    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void anEndHeldBackIsReportedAtTheClose() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 7);
    body.holdEnd();
    readAll(body, 8192);

    body.close();
    body.close();

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.SUCCESS);
    assertThat(listener.onlyEnd().facts().usage()).isEqualTo(CHAT_USAGE);
  }

  @Test
  void aBodyStoppedAfterItsEndWasHeldBackEndsStoppedWithWhatItRead() throws IOException {
    JsonBody body = body(CHAT_RESPONSE.getBytes(UTF_8), LARGE_LIMIT, 7);
    body.holdEnd();
    readAll(body, 8192);

    body.stop("content_blocked");
    body.releaseEnd();
    body.close();

    RecordingBodyListener.End end = listener.onlyEnd();
    assertThat(end.outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(end.failure()).isInstanceOf(ObservedBody.Stopped.class);
    assertThat(end.failure().getMessage()).isEqualTo("content_blocked");
    assertThat(end.facts().usage()).isEqualTo(CHAT_USAGE); // the document was read whole
  }

  @Test
  void aFailureIsReportedAtOnceWhenTheEndIsHeldBack() {
    PiecewiseInputStream upstream =
        new PiecewiseInputStream(CHAT_RESPONSE.getBytes(UTF_8), 7).failingAfter(30);
    JsonBody body = new JsonBody(upstream, listener, () -> false, LARGE_LIMIT);
    body.holdEnd();

    assertThatThrownBy(() -> readAll(body, 8192)).isSameAs(upstream.failure);

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(listener.onlyEnd().failure()).isSameAs(upstream.failure);
  }
}
