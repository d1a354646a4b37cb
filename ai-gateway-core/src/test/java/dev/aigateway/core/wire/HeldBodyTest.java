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
