package dev.aigateway.okhttp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.function.BiConsumer;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp response as an SDK's HTTP seam reads it (openai-java and anthropic-java both ask for a
 * status, headers, a body stream and {@code close}): an SDK adapter's response extends this and
 * implements the SDK's own response interface, adding only the headers in the SDK's type (built
 * with {@link #forEachHeader}). The body streams, never buffered. A response is read by one thread,
 * but may be closed from another while that thread waits in a read (an application stopping a
 * stream): then, as the SDKs' own OkHttp clients do, its call is cancelled, which ends the read at
 * once with an {@link IOException}, and the response is closed by the reading thread as that read
 * returns, never under it (OkHttp's body does not take a close during a read: it fails with an
 * {@link IllegalStateException} or waits for the backend).
 *
 * <p>A response that becomes unreachable before it was closed is closed when the garbage collector
 * finds it, so its governed call still ends (one event, its reservation settled) and its connection
 * is released. An SDK can drop a response unread: the OpenAI and Anthropic SDKs' asynchronous
 * clients build their futures on the HTTP client's, and an application that cancels one of theirs
 * cancels nothing below it, so the response arrives with no one to read or close it. The response
 * stays reachable while its body stream is.
 */
public abstract class SdkResponse {

  private final Response response;

  /**
   * Closes {@link #response} once, on {@link #close} or when this object is collected; null for a
   * governed call's body, which its own source closes when collected ({@link GovernedBody}).
   */
  private final Cleaner.@Nullable Cleanable closer;

  /** The call that answered {@link #response}, cancelled on a close under a read; else null. */
  private final @Nullable Call call;

  /** Guards {@link #readsInFlight} and {@link #closeRequested}. */
  private final Object lock = new Object();

  private int readsInFlight;
  private boolean closeRequested;
  private boolean closed;

  /**
   * Reads {@code response}, which this object then owns (closes). A close from another thread while
   * a read waits cannot end that read (there is no call to cancel): prefer {@link
   * #SdkResponse(Response, Call)}.
   */
  protected SdkResponse(Response response) {
    this(response, null);
  }

  /**
   * Reads {@code response}, the answer of {@code call}, which this object then owns (closes); a
   * close while another thread reads the body cancels {@code call}, so that read ends at once.
   */
  protected SdkResponse(Response response, @Nullable Call call) {
    this.response = Objects.requireNonNull(response, "response");
    this.call = call;
    this.closer =
        response.body() instanceof GovernedBody ? null : Dropped.closeWhenCollected(this, response);
  }

  /** The HTTP status code. */
  public int statusCode() {
    return response.code();
  }

  /** The body as a stream, read as it arrives; it keeps this response reachable. */
  public InputStream body() {
    return new BodyStream(response.body().byteStream(), this);
  }

  /**
   * Closes the response and its body. Called while another thread waits in a read of the body, it
   * cancels the call (that read then fails with an {@link IOException}) and leaves the closing to
   * the reading thread, which does it as its read returns; it never waits for that read.
   */
  public void close() {
    boolean underARead;
    synchronized (lock) {
      if (closeRequested) {
        return;
      }
      closeRequested = true;
      underARead = readsInFlight > 0;
    }
    if (!underARead) {
      closeNow();
      return;
    }
    if (call != null) {
      call.cancel();
    }
    synchronized (lock) {
      if (readsInFlight > 0) {
        return; // the last read to return closes
      }
    }
    closeNow();
  }

  /** Closes the response once, whichever thread gets here first. */
  private void closeNow() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (closer != null) {
      closer.clean();
    } else {
      response.close();
    }
  }

  /** Notes a read starting; fails it when the response was closed. */
  private void readStarts() throws IOException {
    synchronized (lock) {
      if (closeRequested) {
        throw new IOException("closed");
      }
      readsInFlight++;
    }
  }

  /** Notes a read ending, and closes the response when a close came during it. */
  private void readEnds() {
    boolean closeNow;
    synchronized (lock) {
      readsInFlight--;
      closeNow = closeRequested && readsInFlight == 0;
    }
    if (closeNow) {
      closeNow();
    }
  }

  /**
   * The body's stream, holding its response so that the response is not closed under a reader, and
   * telling it which reads are under way, so that a close from another thread does not close the
   * body under one of them.
   */
  private static final class BodyStream extends FilterInputStream {
    private final SdkResponse owner;

    BodyStream(InputStream in, SdkResponse owner) {
      super(in);
      this.owner = owner;
    }

    @Override
    public int read() throws IOException {
      owner.readStarts();
      try {
        return super.read();
      } finally {
        owner.readEnds();
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      owner.readStarts();
      try {
        return super.read(b, off, len);
      } finally {
        owner.readEnds();
      }
    }

    @Override
    public long skip(long n) throws IOException {
      owner.readStarts();
      try {
        return super.skip(n);
      } finally {
        owner.readEnds();
      }
    }

    @Override
    public int available() throws IOException {
      owner.readStarts();
      try {
        return super.available();
      } finally {
        owner.readEnds();
      }
    }

    /** Closes the response, as the SDK's close of the body stream means. */
    @Override
    public void close() {
      owner.close();
    }
  }

  /** Gives every header's name and value, in the order received, to {@code sink}. */
  protected final void forEachHeader(BiConsumer<String, String> sink) {
    Headers headers = response.headers();
    for (int i = 0; i < headers.size(); i++) {
      sink.accept(headers.name(i), headers.value(i));
    }
  }
}
