package dev.aigateway.core.translate;

import dev.aigateway.core.wire.TransformingInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A backend's stream as the application reads it, translated as it arrives: each read takes what
 * the backend has sent so far, decodes it and returns the chunks that came of it, so a chunk
 * reaches the application as soon as the backend's event that carries it is whole. Never holds more
 * than the backend's event in flight and the chunks not yet read.
 */
final class TranslatedStream extends TransformingInputStream {

  private final StreamDecoder decoder;
  private final ByteArrayOutputStream produced;

  /** Hands what the decoder produced to the application, without a copy of its own. */
  private final OutputStream toApplication =
      new OutputStream() {
        @Override
        public void write(int b) {
          // Not called: ByteArrayOutputStream.writeTo writes its bytes in one call.
          emit(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          emit(b, off, off + len);
        }
      };

  /**
   * A stream read through {@code decoder}.
   *
   * @param produced where {@code decoder} writes the translated bytes
   */
  TranslatedStream(InputStream upstream, StreamDecoder decoder, ByteArrayOutputStream produced) {
    super(upstream);
    this.decoder = decoder;
    this.produced = produced;
  }

  @Override
  protected void transform(byte[] bytes, int from, int to) throws IOException {
    try {
      decoder.feed(bytes, from, to - from);
    } catch (RuntimeException e) {
      failed(e);
    }
    handOn();
  }

  @Override
  protected void upstreamEnded() throws IOException {
    try {
      decoder.end();
    } catch (RuntimeException e) {
      failed(e);
    }
    handOn();
  }

  /**
   * The stream ends with what was translated before the failure (the chunks of this read's events
   * before it too), then the exception.
   */
  private void failed(RuntimeException e) {
    fail(
        new IOException(
            "the backend's stream could not be translated: " + e.getClass().getSimpleName(), e));
  }

  /** Hands on what the decoder produced (the sink writes to memory: it never fails). */
  private void handOn() throws IOException {
    if (produced.size() > 0) {
      produced.writeTo(toApplication);
      produced.reset();
    }
  }
}
