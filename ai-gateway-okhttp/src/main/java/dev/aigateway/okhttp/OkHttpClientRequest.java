package dev.aigateway.okhttp;

import dev.aigateway.core.wire.ClientRequest;
import java.io.IOException;
import java.net.ProtocolException;
import java.util.List;
import java.util.function.Function;
import okhttp3.Headers;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp request with its body already read, as the gateway's core sees it. It is also the
 * request's headers by name, which the gateway's match reads before the body is read: one object
 * per call serves both.
 */
final class OkHttpClientRequest implements ClientRequest, Function<String, @Nullable String> {

  private static final byte[] NO_BODY = new byte[0];

  /** The most bytes of a request body the gateway reads: the longest array a JVM allocates. */
  static final long MAX_BODY_BYTES = Integer.MAX_VALUE - 8;

  private final Request request;
  private byte[] body;

  /** The URL's encoded path, which OkHttp builds anew on every ask: asked for once. */
  private final String encodedPath;

  OkHttpClientRequest(Request request, byte[] body) {
    this(request, body, request.url().encodedPath());
  }

  /** A request whose URL's encoded path the caller has at hand already. */
  OkHttpClientRequest(Request request, byte[] body, String encodedPath) {
    this.request = request;
    this.body = body;
    this.encodedPath = encodedPath;
  }

  /**
   * A request whose body is not read yet: its headers can be asked for ({@link #apply}), and {@link
   * #body(byte[])} gives its bytes once read (until then it has none).
   */
  OkHttpClientRequest(Request request, String encodedPath) {
    this(request, NO_BODY, encodedPath);
  }

  /** The bytes of a governed call's request body, read up to {@link #MAX_BODY_BYTES}. */
  static byte[] bodyOf(@Nullable RequestBody body) throws IOException {
    return bodyOf(body, MAX_BODY_BYTES);
  }

  /**
   * The bytes of a governed call's request body (none for no body), read whole before the call is
   * sent, as the gateway reads the prompt before it admits the call.
   *
   * @param maxBytes the most bytes read ({@link #MAX_BODY_BYTES}, or less in a test)
   *     <p>A body that announces its length is written straight into one buffer (the common case,
   *     kept cheap: an SDK's body knows its length) and refused after, if it wrote more than {@code
   *     maxBytes} all the same; one of unknown length is written through a sink that stops it at
   *     {@code maxBytes}, so an endless body cannot fill the heap.
   * @throws IOException when the body cannot be read so, before any of it was sent: a duplex body
   *     (which may go on being written once the call is sent); a body that announces more than
   *     {@code maxBytes}, which is not read, or writes more; a body that writes more or fewer bytes
   *     than its {@code contentLength()} announces (a {@link ProtocolException}, as OkHttp fails
   *     it); or the body's own failure to write
   */
  static byte[] bodyOf(@Nullable RequestBody body, long maxBytes) throws IOException {
    if (body == null) {
      return NO_BODY;
    }
    if (body.isDuplex()) {
      throw new IOException(
          "ai-gateway cannot govern a call with a duplex request body: it reads the whole body"
              + " before sending the call, and a duplex body is written while the call is under"
              + " way; nothing was sent");
    }
    long announced;
    try {
      announced = body.contentLength();
    } catch (IOException | RuntimeException e) {
      announced = -1; // told by what is written, as when a body does not know it
    }
    if (announced > maxBytes) {
      throw tooLarge(announced + " bytes", maxBytes);
    }
    Buffer read = new Buffer();
    if (announced >= 0) { // written straight into the buffer: no sink between them on each call
      body.writeTo(read);
      if (read.size() > maxBytes) {
        read.clear();
        throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
      }
      if (read.size() != announced) {
        long wrote = read.size();
        read.clear();
        throw new ProtocolException(
            "ai-gateway cannot send a request body that announces a contentLength() of "
                + announced
                + " bytes but wrote "
                + wrote
                + ", as OkHttp refuses it; nothing was sent");
      }
      return read.readByteArray();
    }
    try (BufferedSink sink = Okio.buffer(new Bounded(read, maxBytes))) {
      body.writeTo(sink);
    }
    return read.readByteArray();
  }

  private static IOException tooLarge(String size, long maxBytes) {
    return new IOException(
        "ai-gateway cannot govern a call whose request body is "
            + size
            + ": it reads at most "
            + maxBytes
            + " bytes of a body; nothing was sent");
  }

  /** A sink into a buffer that refuses the bytes past {@code maxBytes}. */
  private static final class Bounded extends ForwardingSink {
    private final long maxBytes;
    private long written;

    Bounded(Buffer into, long maxBytes) {
      super(into);
      this.maxBytes = maxBytes;
    }

    @Override
    public void write(Buffer source, long byteCount) throws IOException {
      if (byteCount > maxBytes - written) {
        throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
      }
      written += byteCount;
      super.write(source, byteCount);
    }
  }

  /** The request's body, read: what {@link #body()} returns from now on. */
  void body(byte[] read) {
    this.body = read;
  }

  /** The request's header {@code name} (case-insensitive), null when absent. */
  @Override
  public @Nullable String apply(String name) {
    return request.header(name);
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url().toString();
  }

  /** The first value, as the interface says (OkHttp's {@code Request.header} gives the last). */
  @Override
  public @Nullable String header(String name) {
    Headers headers = request.headers();
    for (int i = 0, size = headers.size(); i < size; i++) {
      if (headers.name(i).equalsIgnoreCase(name)) {
        return headers.value(i);
      }
    }
    return null;
  }

  @Override
  public List<String> headers(String name) {
    return request.headers().values(name);
  }

  @Override
  public <T> @Nullable T tag(Class<? extends T> type) {
    return request.tag(type);
  }

  @Override
  public byte[] body() {
    return body;
  }

  @Override
  public String host() {
    return request.url().host();
  }

  @Override
  public int port() {
    return request.url().port();
  }

  @Override
  public String encodedPath() {
    return encodedPath;
  }
}
