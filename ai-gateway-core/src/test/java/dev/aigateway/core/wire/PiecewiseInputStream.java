package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;

/**
 * Serves bytes in pieces of the given sizes (1 to 7 bytes, cycled), the way a slow network does;
 * can fail with an {@link IOException} once a number of bytes were served.
 */
final class PiecewiseInputStream extends InputStream {
  private final byte[] data;
  private final int[] sizes;
  private int piece;
  int position;
  private int failAfter = -1;
  final IOException failure = new IOException("connection reset");
  boolean closed;

  PiecewiseInputStream(byte[] data, int... sizes) {
    this.data = data;
    this.sizes = sizes;
    assertThat(sizes).isNotEmpty();
    for (int size : sizes) {
      assertThat(size).as("piece size").isBetween(1, 7);
    }
  }

  /** Makes every read after {@code bytes} bytes throw {@link #failure}. */
  PiecewiseInputStream failingAfter(int bytes) {
    this.failAfter = bytes;
    return this;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (failAfter >= 0 && position >= failAfter) {
      throw failure;
    }
    if (position == data.length) {
      return -1;
    }
    int limit = failAfter >= 0 ? Math.min(failAfter, data.length) : data.length;
    int n = Math.min(Math.min(len, sizes[piece++ % sizes.length]), limit - position);
    System.arraycopy(data, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public void close() {
    closed = true;
  }
}
