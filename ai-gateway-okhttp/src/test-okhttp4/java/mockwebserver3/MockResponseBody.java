package mockwebserver3;

import java.io.IOException;
import okio.BufferedSink;

/**
 * OkHttp 5's streamed response body, for compiling; OkHttp 4.12's MockWebServer cannot write a body
 * from a callback, so {@link MockResponse.Builder#body(MockResponseBody)} refuses it and the tests
 * that need one run on OkHttp 5 only.
 */
public interface MockResponseBody {
  long getContentLength();

  void writeTo(BufferedSink sink) throws IOException;
}
