package dev.aigateway.core.translate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A backend's stream as the application reads it, translated as it arrives: each read takes what
 * the backend has sent so far, decodes it and returns the chunks that came of it, so a chunk
 * reaches the application as soon as the backend's event that carries it is whole. Never holds more
 * than the backend's event in flight and the chunks not yet read.
 */
final class TranslatedStream extends InputStream {

  private final InputStream upstream;
  private final StreamDecoder decoder;
  private final ByteArrayOutputStream produced;
  private final byte[] raw = new byte[8192];
  private byte[] ready = new byte[0];
  private int readyAt;
  private boolean ended;

  /**
   * A stream read through {@code decoder}.
   *
   * @param produced where {@code decoder} writes the translated bytes
   */
  TranslatedStream(InputStream upstream, StreamDecoder decoder, ByteArrayOutputStream produced) {
    this.upstream = upstream;
    this.decoder = decoder;
    this.produced = produced;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (readyAt == ready.length) {
      if (produced.size() > 0) {
        ready = produced.toByteArray();
        produced.reset();
        readyAt = 0;
        break;
      }
      if (ended) {
        return -1;
      }
      int n = upstream.read(raw, 0, raw.length);
      try {
        if (n < 0) {
          ended = true;
          decoder.end();
        } else {
          decoder.feed(raw, 0, n);
        }
      } catch (RuntimeException e) {
        ended = true;
        throw new IOException(
            "the backend's stream could not be translated: " + e.getClass().getSimpleName(), e);
      }
    }
    int n = Math.min(len, ready.length - readyAt);
    System.arraycopy(ready, readyAt, b, off, n);
    readyAt += n;
    return n;
  }

  @Override
  public int available() {
    return ready.length - readyAt;
  }

  @Override
  public void close() throws IOException {
    upstream.close();
  }
}
