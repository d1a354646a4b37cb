package dev.aigateway.azure.sdk;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ByteString;
import okio.Okio;
import okio.Source;
import okio.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * Makes an event stream that ends in an error event fail as a read error, which the Azure SDK
 * reports, instead of ending as if the answer were whole. The gateway ends a stream its content
 * check stops midway with {@code data: {"error":{...,"code":"content_filter"}}} (and
 * OpenAI-compatible servers such as vLLM end a stream that failed after its status so); the Azure
 * OpenAI SDK reads such an event as a chunk without choices, so the application would take the text
 * before it for the complete answer. The stream passes byte for byte, line by line as it arrives
 * (never buffered whole); at a {@code data:} line holding a top-level {@code error} object, the
 * lines before it are handed on and the next read fails with an {@link IOException} naming the
 * error's code and message. Other responses pass unchanged.
 */
final class StreamErrorEvents implements Interceptor {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ByteString DATA = ByteString.encodeUtf8("data:");
  private static final ByteString ERROR = ByteString.encodeUtf8("\"error\"");

  @Override
  public Response intercept(Chain chain) throws IOException {
    Response response = chain.proceed(chain.request());
    ResponseBody body = response.body();
    MediaType type = body == null ? null : body.contentType();
    if (type == null
        || !"text".equalsIgnoreCase(type.type())
        || !"event-stream".equalsIgnoreCase(type.subtype())) {
      return response;
    }
    BufferedSource guarded = Okio.buffer(new Guarded(body.source()));
    return response
        .newBuilder()
        .body(ResponseBody.create(guarded, type, body.contentLength()))
        .build();
  }

  /** The event stream, handed on line by line, failing at an error event. */
  private static final class Guarded implements Source {
    private final BufferedSource upstream;
    private final Buffer checked = new Buffer();
    private @Nullable IOException failure;
    private boolean exhausted;

    Guarded(BufferedSource upstream) {
      this.upstream = upstream;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      while (checked.size() == 0) {
        if (failure != null) {
          throw failure;
        }
        if (exhausted) {
          return -1;
        }
        next();
      }
      return checked.read(sink, Math.min(byteCount, checked.size()));
    }

    /** Checks the next line (through its line feed, or the rest at the end) and hands it on. */
    private void next() throws IOException {
      long end = upstream.indexOf((byte) '\n');
      ByteString line;
      if (end == -1) {
        exhausted = true;
        line = upstream.readByteString();
      } else {
        line = upstream.readByteString(end + 1);
      }
      String error = errorOf(line);
      if (error != null) {
        failure = new IOException("the event stream ended in an error event: " + error);
        return;
      }
      checked.write(line);
    }

    @Override
    public Timeout timeout() {
      return upstream.timeout();
    }

    @Override
    public void close() throws IOException {
      upstream.close();
    }
  }

  /**
   * The code and message of the top-level {@code error} object a {@code data:} line holds, or null
   * for any other line (an {@code error} that is null, text or nested is none).
   */
  static @Nullable String errorOf(ByteString line) {
    if (!line.startsWith(DATA) || line.indexOf(ERROR) == -1) {
      return null;
    }
    String payload = line.substring(DATA.size()).string(StandardCharsets.UTF_8).trim();
    if (!payload.startsWith("{")) {
      return null;
    }
    JsonNode event;
    try {
      event = JSON.readTree(payload);
    } catch (JacksonException e) {
      return null; // not JSON: left to the SDK, as any other line
    }
    JsonNode error = event == null ? null : event.get("error");
    if (error == null || !error.isObject()) {
      return null;
    }
    JsonNode codeNode = error.path("code");
    String code = codeNode.isTextual() || codeNode.isNumber() ? codeNode.asText() : "";
    String message = error.path("message").asText("");
    return (code.isEmpty() ? "" : code + ": ") + (message.isEmpty() ? "(no message)" : message);
  }
}
