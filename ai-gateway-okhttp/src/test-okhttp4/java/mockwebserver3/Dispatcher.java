package mockwebserver3;

import java.io.Closeable;

/** OkHttp 5's {@code Dispatcher} API: answers each request the server takes. */
public abstract class Dispatcher implements Closeable {

  public abstract MockResponse dispatch(RecordedRequest request) throws InterruptedException;

  @Override
  public void close() {}
}
