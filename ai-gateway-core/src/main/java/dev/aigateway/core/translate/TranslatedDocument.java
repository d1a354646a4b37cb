package dev.aigateway.core.translate;

import dev.aigateway.core.wire.TransformingInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * A backend's one-document answer (JSON, or an error) as the application reads it: read whole on
 * the first read, up to {@link #MAX_BYTES}, then translated at once. A document is not a stream, so
 * nothing is delayed that would not be anyway: the application's parser needs all of it.
 */
final class TranslatedDocument extends TransformingInputStream {

  /** The largest backend document translated; a larger one fails the read. */
  static final int MAX_BYTES = 32 << 20;

  private final Function<byte[], byte[]> translate;
  private final ByteArrayOutputStream whole = new ByteArrayOutputStream();

  TranslatedDocument(InputStream upstream, Function<byte[], byte[]> translate) {
    super(upstream);
    this.translate = translate;
  }

  @Override
  protected void transform(byte[] bytes, int from, int to) throws IOException {
    if (whole.size() + (to - from) > MAX_BYTES) {
      finish();
      throw new IOException(
          "the backend's answer is larger than " + MAX_BYTES + " bytes and was not translated");
    }
    whole.write(bytes, from, to - from);
  }

  @Override
  protected void upstreamEnded() throws IOException {
    byte[] translated;
    try {
      translated = translate.apply(whole.toByteArray());
    } catch (RuntimeException e) {
      throw new IOException(
          "the backend's answer could not be translated: " + e.getClass().getSimpleName(), e);
    }
    whole.reset();
    emit(translated, 0, translated.length);
  }
}
