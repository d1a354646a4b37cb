package dev.aigateway.okhttp;

import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.Okio;
import org.jspecify.annotations.Nullable;

/**
 * The body of a governed call's response as the application gets it: an {@link ObservedSource},
 * which ends the call when the body is closed, read to its end, or dropped unclosed and collected.
 * Its own type lets {@link SdkResponse} see that such a body needs no second clean-up of its own.
 */
final class GovernedBody extends ResponseBody {

  private final @Nullable MediaType contentType;
  private final long contentLength;
  private final BufferedSource source;

  GovernedBody(ObservedSource source, @Nullable MediaType contentType, long contentLength) {
    this.source = Okio.buffer(source);
    this.contentType = contentType;
    this.contentLength = contentLength;
  }

  @Override
  public @Nullable MediaType contentType() {
    return contentType;
  }

  @Override
  public long contentLength() {
    return contentLength;
  }

  @Override
  public BufferedSource source() {
    return source;
  }
}
