package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The base of the stream wrappers: pulls, transforms, hands on; reads, ends, fails and closes. */
class TransformingInputStreamTest {

  /** Upper-cases ASCII letters, and stops after the byte '!' when asked to. */
  private static final class Upper extends TransformingInputStream {
    final List<String> heard = new ArrayList<>();
    final boolean stopAtBang;

    Upper(InputStream upstream, boolean stopAtBang) {
      super(upstream);
      this.stopAtBang = stopAtBang;
    }

    @Override
    protected void transform(byte[] bytes, int from, int to) {
      byte[] out = new byte[to - from];
      int n = 0;
      for (int i = from; i < to; i++) {
        byte b = bytes[i];
        out[n++] = b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
        if (stopAtBang && b == '!') {
          finish();
          break;
        }
      }
      emit(out, 0, n);
      heard.add("read " + (to - from));
    }

    @Override
    protected void upstreamEnded() {
      heard.add("ended");
      emit(new byte[] {'.'}, 0, 1);
    }

    @Override
    protected void upstreamFailed(IOException failure) {
      heard.add("failed " + failure.getMessage());
    }
  }

  /** Hands out its bytes three at a time, and counts its reads and closes. */
  private static final class Slow extends ByteArrayInputStream {
    int reads;
    int closes;

    Slow(String text) {
      super(text.getBytes(UTF_8));
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      reads++;
      return super.read(b, off, Math.min(len, 3));
    }

    @Override
    public void close() {
      closes++;
    }
  }

  @Test
  void bytesAreTransformedAsTheyArePulledAndTheEndAddsItsOwn() throws IOException {
    Slow upstream = new Slow("hello, world");
    Upper stream = new Upper(upstream, false);

    byte[] two = new byte[2];
    assertThat(stream.read(two, 0, 2)).isEqualTo(2);
    // one upstream read made three bytes: two read, one still available, nothing read ahead
    assertThat(upstream.reads).isEqualTo(1);
    assertThat(stream.available()).isEqualTo(1);
    assertThat(stream.read(two, 0, 0)).isZero();

    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    for (int b; (b = stream.read()) >= 0; ) {
      rest.write(b);
    }

    assertThat(new String(two, UTF_8) + rest.toString(UTF_8)).isEqualTo("HELLO, WORLD.");
    assertThat(stream.heard).containsExactly("read 3", "read 3", "read 3", "read 3", "ended");
    assertThat(stream.read()).isEqualTo(-1);
    assertThat(stream.read(two, 0, 2)).isEqualTo(-1);
    assertThat(stream.heard).hasSize(5); // the end is heard once
  }

  @Test
  void finishingStopsReadingTheUpstreamAfterWhatWasEmitted() throws IOException {
    Slow upstream = new Slow("ab!cdef");
    Upper stream = new Upper(upstream, true);

    assertThat(new String(stream.readAllBytes(), UTF_8)).isEqualTo("AB!");
    assertThat(upstream.reads).isEqualTo(1);
    assertThat(stream.heard).containsExactly("read 3"); // the upstream's end was never read
  }

  @Test
  void aFailedUpstreamReadIsHeardThenThrown() {
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("reset");
          }
        };
    Upper stream = new Upper(failing, false);

    assertThatThrownBy(stream::read).isInstanceOf(IOException.class).hasMessage("reset");
    assertThat(stream.heard).containsExactly("failed reset");
  }

  @Test
  void closingClosesTheUpstreamAndBadArgumentsAreRefused() throws IOException {
    Slow upstream = new Slow("x");
    Upper stream = new Upper(upstream, false);

    assertThatThrownBy(() -> stream.read(new byte[2], 1, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    stream.close();

    assertThat(upstream.closes).isEqualTo(1);
  }
}
