package dev.aigateway.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The answer reader: events framed whatever the reads and line endings, bytes passed unchanged. */
class AnswerStreamTest {

  /** Hands out a byte array in reads of random sizes. */
  private static final class Chunked extends InputStream {
    private final byte[] bytes;
    private final Random random;
    private int at;

    Chunked(byte[] bytes, long seed) {
      this.bytes = bytes;
      this.random = new Random(seed);
    }

    @Override
    public int read() {
      return at < bytes.length ? bytes[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (at >= bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, 1 + random.nextInt(7)), bytes.length - at);
      System.arraycopy(bytes, at, b, off, n);
      at += n;
      return n;
    }
  }

  private static final class Recorder implements AnswerStream.Reader {
    final List<String> events = new ArrayList<>();
    byte @Nullable [] document;
    int ends;
    boolean complete;
    byte @Nullable [] rewriteTo;

    @Override
    public byte[] event(byte[] event) {
      events.add(new String(event, StandardCharsets.UTF_8));
      return rewriteTo == null ? event : rewriteTo;
    }

    @Override
    public byte[] document(byte @Nullable [] doc, boolean held) {
      document = doc;
      return doc == null ? new byte[0] : doc;
    }

    @Override
    public void ended(boolean complete, @Nullable IOException failure) {
      ends++;
      this.complete = complete;
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[5];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  @Test
  void eventsAreFramedOnLfCrlfAndCrWhateverTheReadsAndPassedByteForByte() throws IOException {
    String stream =
        "data: {\"a\":1}\n\n"
            + "event: x\r\ndata: {\"b\":2}\r\n\r\n"
            + "data: {\"c\":3}\r\r"
            + ": comment\n\n"
            + "data: {\"d\":\"ü\"}\n"
            + "data: more\n\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    for (long seed = 0; seed < 200; seed++) {
      Recorder recorder = new Recorder();
      byte[] read = readAll(new AnswerStream(new Chunked(bytes, seed), recorder, true, false));

      assertThat(read).isEqualTo(bytes);
      assertThat(recorder.events)
          .as("seed %d", seed)
          .containsExactly(
              "data: {\"a\":1}\n\n",
              "event: x\r\ndata: {\"b\":2}\r\n\r",
              "data: {\"c\":3}\r\r",
              ": comment\n\n",
              "data: {\"d\":\"ü\"}\ndata: more\n\n");
      assertThat(recorder.ends).isEqualTo(1);
      assertThat(recorder.complete).isTrue();
    }
  }

  @Test
  void aJsonAnswerPassesAsItComesAndIsReadWholeAtItsEnd() throws IOException {
    byte[] json = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".getBytes(StandardCharsets.UTF_8);
    Recorder recorder = new Recorder();

    byte[] read = readAll(new AnswerStream(new Chunked(json, 1), recorder, false, false));

    assertThat(read).isEqualTo(json);
    assertThat(recorder.document).isEqualTo(json);
  }

  @Test
  void anEventTooLargeToHoldPassesUnreadAndTheNextOneIsFramedAgain() throws IOException {
    char[] big = new char[AnswerStream.MAX_EVENT_BYTES + 10];
    Arrays.fill(big, 'x');
    String stream = "data: " + new String(big) + "\n\ndata: {\"after\":true}\n\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    Recorder recorder = new Recorder();

    byte[] read =
        readAll(new AnswerStream(new java.io.ByteArrayInputStream(bytes), recorder, true, false));

    assertThat(read).isEqualTo(bytes);
    assertThat(recorder.events).containsExactly("data: {\"after\":true}\n\n");
  }

  @Test
  void aJsonAnswerThatArrivedWholeButWasReadOnlyInPartEndsIncompleteWhenClosed()
      throws IOException {
    // The whole answer came in one read of the upstream, but the application took only its first
    // bytes before closing: it did not read the answer, so the answer ends incomplete (cancelled),
    // as the LLM path's JSON body ends one closed before its end was read.
    byte[] json =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}"
            .getBytes(StandardCharsets.UTF_8);
    Recorder recorder = new Recorder();
    AnswerStream stream =
        new AnswerStream(new java.io.ByteArrayInputStream(json), recorder, false, false);
    assertThat(stream.read(new byte[10])).isEqualTo(10);
    stream.close();

    assertThat(recorder.ends).isEqualTo(1);
    assertThat(recorder.complete).isFalse();
    assertThat(recorder.document).isNull();

    // Read to its last byte (a JSON parser stops there and closes): read whole.
    Recorder whole = new Recorder();
    AnswerStream read =
        new AnswerStream(new java.io.ByteArrayInputStream(json), whole, false, false);
    assertThat(read.read(new byte[json.length])).isEqualTo(json.length);
    read.close();

    assertThat(whole.ends).isEqualTo(1);
    assertThat(whole.complete).isTrue();
    assertThat(whole.document).isEqualTo(json);
  }

  @Test
  void closingBeforeTheEndReportsAnIncompleteAnswerOnce() throws IOException {
    Recorder recorder = new Recorder();
    AnswerStream stream =
        new AnswerStream(
            new Chunked("data: {}\n\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8), 3),
            recorder,
            true,
            false);
    assertThat(stream.read(new byte[4])).isPositive();
    stream.close();
    stream.close();

    assertThat(recorder.ends).isEqualTo(1);
    assertThat(recorder.complete).isFalse();
  }

  @Test
  void aLastEventWithoutItsBlankLineIsReadByTheCallAndPassesAsItCame() throws IOException {
    byte[] bytes = "data: {\"a\":1}\n\ndata: {\"b\":2}".getBytes(StandardCharsets.UTF_8);
    for (long seed = 0; seed < 50; seed++) {
      Recorder recorder = new Recorder();

      byte[] read = readAll(new AnswerStream(new Chunked(bytes, seed), recorder, true, false));

      assertThat(read).isEqualTo(bytes);
      assertThat(recorder.events)
          .as("seed %d", seed)
          .containsExactly("data: {\"a\":1}\n\n", "data: {\"b\":2}\n\n");
    }
  }

  @Test
  void aLastEventWithoutItsBlankLineThatTheCallRewritesPassesRewritten() throws IOException {
    Recorder recorder = new Recorder();
    recorder.rewriteTo = "data: {}\n\n".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = "data: {\"b\":2}\r".getBytes(StandardCharsets.UTF_8);

    byte[] read =
        readAll(new AnswerStream(new java.io.ByteArrayInputStream(bytes), recorder, true, false));

    assertThat(recorder.events).containsExactly("data: {\"b\":2}\r\r");
    assertThat(new String(read, StandardCharsets.UTF_8)).isEqualTo("data: {}\n\n");
  }

  @Test
  void anAnswerReadByteByByteIsTheSameBytes() throws IOException {
    byte[] bytes = "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\n\n".getBytes(StandardCharsets.UTF_8);
    Recorder recorder = new Recorder();
    AnswerStream stream = new AnswerStream(new Chunked(bytes, 5), recorder, true, false);
    ByteArrayOutputStream read = new ByteArrayOutputStream();

    for (int b; (b = stream.read()) >= 0; ) {
      read.write(b);
    }

    assertThat(read.toByteArray()).isEqualTo(bytes);
    assertThat(recorder.events).hasSize(2);
    assertThat(recorder.complete).isTrue();
  }
}
