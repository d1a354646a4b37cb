package dev.aigateway.core.translate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * A backend's one-document answer (JSON, or an error) as the application reads it: read whole on
 * the first read, up to {@link #MAX_BYTES}, then translated at once. A document is not a stream, so
 * nothing is delayed that would not be anyway: the application's parser needs all of it.
 */
final class TranslatedDocument extends InputStream {

  /** The largest backend document translated; a larger one fails the read. */
  static final int MAX_BYTES = 32 << 20;

  private final InputStream upstream;
  private final Function<byte[], byte[]> translate;
  private byte[] translated;
  private int at;

  TranslatedDocument(InputStream upstream, Function<byte[], byte[]> translate) {
    this.upstream = upstream;
    this.translate = translate;
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
    if (translated == null) {
      translated = translateWhole();
    }
    if (at == translated.length) {
      return -1;
    }
    int n = Math.min(len, translated.length - at);
    System.arraycopy(translated, at, b, off, n);
    at += n;
    return n;
  }

  private byte[] translateWhole() throws IOException {
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = upstream.read(buffer)) >= 0) {
      if (whole.size() + n > MAX_BYTES) {
        throw new IOException(
            "the backend's answer is larger than " + MAX_BYTES + " bytes and was not translated");
      }
      whole.write(buffer, 0, n);
    }
    try {
      return translate.apply(whole.toByteArray());
    } catch (RuntimeException e) {
      throw new IOException(
          "the backend's answer could not be translated: " + e.getClass().getSimpleName(), e);
    }
  }

  @Override
  public void close() throws IOException {
    upstream.close();
  }
}
