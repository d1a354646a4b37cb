package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HeldBodyTest {

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(UTF_8);
  }

  private static PiecewiseInputStream pieces(String text, int... sizes) {
    return new PiecewiseInputStream(text.getBytes(UTF_8), sizes);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"LF", "CRLF", "CR"})
  void holdsCommentsAndTheFirstEventThenReadsOnAsIfNotHeld(String ending) throws IOException {
    String le =
        switch (ending) {
          case "LF" -> "\n";
          case "CR" -> "\r";
          default -> "\r\n";
        };
    String first = ": keep-alive" + le + le + "event: delta" + le + "data: {}" + le + le;
    String stream = first + "data: [DONE]" + le + le;
    PiecewiseInputStream upstream = pieces(stream, 1); // a read ends after every byte

    HeldBody body = HeldBody.holdFirstEvent(upstream, 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(upstream.position).isEqualTo(first.length() - (ending.equals("CRLF") ? 1 : 0));
    assertThat(readAll(body)).isEqualTo(stream);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "openai server error|data: {\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"code\":null}}|500",
        "openai rate limit|data: {\"error\":{\"message\":\"m\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}|429",
        "vllm numeric code|data: {\"error\":{\"object\":\"error\",\"type\":\"BadRequestError\",\"code\":400}}|400",
        "gemini|data: {\"error\":{\"code\":503,\"message\":\"m\",\"status\":\"UNAVAILABLE\"}}|503",
        "anthropic overloaded|event: error\\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}|529",
        "responses error event|event: error\\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"m\"}|429",
        "named error, no JSON|event: error\\ndata: upstream failed|500",
        "split data lines|data: {\"error\":\\ndata: {\"type\":\"invalid_request_error\"}}|400",
        "a chat chunk|data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"error\"}}]}|0",
        "responses created|event: response.created\\ndata: {\"type\":\"response.created\",\"response\":{\"error\":null}}|0",
        "an error that is no object|data: {\"error\":\"none\"}|0",
      })
  void aFirstEventThatReportsAnErrorIsToldWithTheStatusItStandsFor(
      String name, String event, int status) {
    for (String le : new String[] {"\n", "\r\n", "\r"}) {
      String stream = ": ping" + le + le + event.replace("\\n", "\n").replace("\n", le) + le + le;
      HeldBody body = HeldBody.holdFirstEvent(pieces(stream, 3), 1 << 20);

      assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
      assertThat(body.firstEventErrorStatus()).as(name + " " + le.length()).isEqualTo(status);
    }
  }

  @Test
  void anArrayStreamIsHeldUntilItsFirstElementClosedThenReadAsIfNotHeld() throws IOException {
    // braces and brackets inside strings do not count
    String first = "[\n{\"candidates\": [{\"text\": \"a } ] \\\" [\"}]}";
    String stream = first + "\n,\r\n{\"candidates\": []}\n]";
    PiecewiseInputStream upstream = pieces(stream, 1); // a read ends after every byte

    HeldBody body = HeldBody.holdFirstElement(upstream, 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(upstream.position)
        .as("nothing read past the first element")
        .isEqualTo(first.length());
    assertThat(body.firstEventErrorStatus()).isZero();
    assertThat(readAll(body)).isEqualTo(stream);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "overloaded|[{\"error\": {\"code\": 503, \"message\": \"m\", \"status\": \"UNAVAILABLE\"}}]|503",
        "invalid|[{\\n  \"error\": {\"code\": 400, \"status\": \"INVALID_ARGUMENT\"}}\\n]|400",
        "one error document|{\"error\": {\"code\": 429, \"status\": \"RESOURCE_EXHAUSTED\"}}|429",
        "a response|[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"error\"}]}}]}]|0",
        "an error in a later element|[{\"candidates\": []},{\"error\": {\"code\": 500}}]|0",
      })
  void anArrayStreamsFirstElementThatIsGooglesErrorIsToldWithItsStatus(
      String name, String stream, int status) {
    HeldBody body = HeldBody.holdFirstElement(pieces(stream.replace("\\n", "\n"), 3), 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(body.firstEventErrorStatus()).as(name).isEqualTo(status);
  }

  @Test
  void anArrayStreamThatEndsOrFailsBeforeItsFirstElementClosedIsHeldSo() throws IOException {
    HeldBody ended = HeldBody.holdFirstElement(pieces("[{\"candidates\": [", 3), 1 << 20);
    assertThat(ended.outcome()).isEqualTo(HeldBody.Held.ENDED);
    assertThat(ended.endedEarly()).isInstanceOf(EOFException.class);
    assertThat(readAll(ended)).isEqualTo("[{\"candidates\": [");

    PiecewiseInputStream upstream = pieces("[{\"candidates\": []}]", 4).failingAfter(8);
    HeldBody failed = HeldBody.holdFirstElement(upstream, 1 << 20);
    assertThat(failed.outcome()).isEqualTo(HeldBody.Held.FAILED);
    assertThat(failed.failure()).isSameAs(upstream.failure);
  }

  @Test
  void anEmptyArrayOrABodyThatIsNoJsonContainerIsNotHeldFurther() throws IOException {
    HeldBody empty = HeldBody.holdFirstElement(pieces(" [ ]", 1), 1 << 20);
    assertThat(empty.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(readAll(empty)).isEqualTo(" [ ]");

    PiecewiseInputStream upstream = pieces("upstream failed, and more", 1);
    HeldBody other = HeldBody.holdFirstElement(upstream, 1 << 20);
    assertThat(other.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(upstream.position).isEqualTo(1);
    assertThat(other.firstEventErrorStatus()).isZero();
    assertThat(readAll(other)).isEqualTo("upstream failed, and more");
  }

  @Test
  void anArrayStreamsFirstElementLargerThanTheBoundIsHeldNoFurther() throws IOException {
    String stream = "[{\"candidates\": [{\"text\": \"" + "x".repeat(100) + "\"}]}]";

    HeldBody body = HeldBody.holdFirstElement(pieces(stream, 7), 32);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.TOO_LARGE);
    assertThat(body.heldLength()).isEqualTo(32);
    assertThat(readAll(body)).isEqualTo(stream);
  }

  @Test
  void aStreamWithoutItsFirstEventReportsNoErrorEvent() {
    assertThat(
            HeldBody.holdFirstEvent(pieces("event: error\n", 3), 1 << 20).firstEventErrorStatus())
        .isZero();
  }

  @Test
  void aLineFeedAfterACarriageReturnInTheNextReadEndsTheSameLine() throws IOException {
    // "data: x\r" then "\n\r\n": one CRLF line end, then a CRLF blank line
    HeldBody body = HeldBody.holdFirstEvent(pieces("data: x\r\n\r\nrest", 7, 1, 2, 4), 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
    assertThat(readAll(body)).isEqualTo("data: x\r\n\r\nrest");
  }

  @Test
  void aStreamThatEndsBeforeItsFirstEventReplaysWhatCameThenEnds() throws IOException {
    HeldBody body = HeldBody.holdFirstEvent(pieces(": ping\n\ndata: {\"a\"", 3), 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.ENDED);
    assertThat(body.endedEarly()).isInstanceOf(EOFException.class);
    assertThat(readAll(body)).isEqualTo(": ping\n\ndata: {\"a\"");
  }

  @Test
  void aStreamThatFailsBeforeItsFirstEventReplaysWhatCameThenFailsAsItDid() throws IOException {
    PiecewiseInputStream upstream = pieces(": ping\n\ndata: x\n\n", 4).failingAfter(8);

    HeldBody body = HeldBody.holdFirstEvent(upstream, 1 << 20);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.FAILED);
    assertThat(body.failure()).isSameAs(upstream.failure);
    byte[] buffer = new byte[64];
    assertThat(new String(buffer, 0, body.read(buffer), UTF_8)).isEqualTo(": ping\n\n");
    assertThatThrownBy(() -> body.read(buffer)).isSameAs(upstream.failure);
  }

  @Test
  void bytesBeforeTheFirstEventAreHeldOnlyUpToTheBound() throws IOException {
    String stream = ": " + "x".repeat(100) + "\n\ndata: y\n\n";
    PiecewiseInputStream upstream = pieces(stream, 7);

    HeldBody body = HeldBody.holdFirstEvent(upstream, 32);

    assertThat(body.outcome()).isEqualTo(HeldBody.Held.TOO_LARGE);
    assertThat(upstream.position).isEqualTo(32);
    assertThat(readAll(body)).isEqualTo(stream);
  }

  @ParameterizedTest(name = "first event of {0} bytes")
  @CsvSource({"1", "480", "498", "500", "501", "502", "1000", "1600", "5000"})
  void aFirstEventLargerThanTheFirstRoomIsHeldWholeAndReplayed(int length) throws IOException {
    String first = ": ping\n\ndata: " + "y".repeat(length) + "\n\n";
    String stream = first + "data: z\n\ndata: [DONE]\n\n";
    byte[] bytes = stream.getBytes(UTF_8);
    PiecewiseInputStream pieces = pieces(stream, 7, 3, 1);
    ByteArrayInputStream whole = new ByteArrayInputStream(bytes); // as much as a read has room for

    for (InputStream upstream : new InputStream[] {pieces, whole}) {
      HeldBody body = HeldBody.holdFirstEvent(upstream, 1 << 20);

      assertThat(body.outcome()).isEqualTo(HeldBody.Held.FIRST_EVENT);
      assertThat(readAll(body)).isEqualTo(stream);
    }
    assertThat(pieces.position).isEqualTo(bytes.length);
  }

  @Test
  void readingByteByByteReplaysTheHeldBytesThenTheRest() throws IOException {
    HeldBody body = HeldBody.holdFirstEvent(pieces("data: x\n\nmore", 4), 1 << 20);
    StringBuilder seen = new StringBuilder();

    for (int b; (b = body.read()) != -1; ) {
      seen.append((char) b);
    }

    assertThat(seen).hasToString("data: x\n\nmore");
  }

  @Test
  void closingTheBodyClosesTheStream() throws IOException {
    PiecewiseInputStream upstream = pieces("data: x\n\n", 7);

    HeldBody.holdFirstEvent(upstream, 1 << 20).close();

    assertThat(upstream.closed).isTrue();
  }
}
