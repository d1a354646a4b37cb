package dev.aigateway.okhttp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.core.wire.BodyListener;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.SseBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.SplittableRandom;
import okio.Buffer;
import okio.BufferedSource;
import okio.Okio;
import okio.Timeout;
import org.junit.jupiter.api.Test;

class ObservedSourceTest {

  private static final String CHUNK =
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d\"}}],\"usage\":null}\n\n";

  private static final String USAGE =
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\","
          + "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
          + "\"total_tokens\":12}}\n\n";

  private static final BodyListener IGNORED =
      new BodyListener() {
        @Override
        public void firstBytes() {}

        @Override
        public void bodyEnded(CallOutcome outcome, ResponseReadout readout, Throwable failure) {}
      };

  @Test
  void aHidingStreamReadThroughTheSourceIsWhatTheApplicationWouldHaveSeen() throws IOException {
    StringBuilder sent = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      sent.append(String.format(CHUNK, i));
      expected.append(String.format(CHUNK, i).replace(",\"usage\":null", ""));
    }
    sent.append(USAGE).append("data: [DONE]\n\n");
    expected.append("data: [DONE]\n\n");
    for (long seed = 0; seed < 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      SseBody body =
          new SseBody(
              new Pieces(sent.toString().getBytes(UTF_8), random),
              IGNORED,
              () -> false,
              false,
              true);
      Buffer sink = new Buffer().writeUtf8("before|");
      ObservedSource source = new ObservedSource(body, Timeout.NONE);
      long read;
      while ((read = source.read(sink, 1 + random.nextInt(9000))) != -1) {
        assertThat(read).isPositive();
      }
      assertThat(sink.readUtf8()).isEqualTo("before|" + expected);
      source.close();
    }
  }

  @Test
  void aFailedReadLeavesTheSinkAsItWasAndAByteCountIsHonoured() throws IOException {
    InputStream failing =
        new SequenceInputStream(
            new ByteArrayInputStream(String.format(CHUNK, 1).getBytes(UTF_8)),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("connection reset");
              }
            });
    ObservedSource source =
        new ObservedSource(new SseBody(failing, IGNORED, () -> false, false, true), Timeout.NONE);
    Buffer sink = new Buffer().writeUtf8("kept");
    assertThat(source.read(sink, 3)).isEqualTo(3);
    assertThat(sink.readUtf8()).isEqualTo("keptdat");
    assertThat(source.read(sink, 0)).isZero();
    assertThatThrownBy(() -> source.read(sink, -1)).isInstanceOf(IllegalArgumentException.class);
    Buffer kept = new Buffer().writeUtf8("still");
    BufferedSource buffered = Okio.buffer(source);
    assertThatThrownBy(() -> buffered.readAll(kept)).isInstanceOf(IOException.class);
    // what was read before the failure, and nothing else: no room the failed read was given
    assertThat(kept.readUtf8() + buffered.getBuffer().readUtf8())
        .isEqualTo("still" + String.format(CHUNK, 1).replace(",\"usage\":null", "").substring(3));
  }

  /** Upstream in random pieces of 1 to 700 bytes, as a socket hands them over. */
  private static final class Pieces extends InputStream {
    private final byte[] data;
    private final SplittableRandom random;
    private int at;

    Pieces(byte[] data, SplittableRandom random) {
      this.data = data;
      this.random = random;
    }

    @Override
    public int read() {
      return at < data.length ? data[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (at >= data.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, data.length - at), 1 + random.nextInt(700));
      System.arraycopy(data, at, b, off, n);
      at += n;
      return n;
    }
  }
}
