package mockwebserver3;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import javax.net.ServerSocketFactory;
import okhttp3.HttpUrl;

/** OkHttp 5's {@code MockWebServer} API over OkHttp 4.12's server. */
public final class MockWebServer implements Closeable {

  private final okhttp3.mockwebserver.MockWebServer server =
      new okhttp3.mockwebserver.MockWebServer();

  public void start() throws IOException {
    server.start();
  }

  public void start(int port) throws IOException {
    server.start(port);
  }

  public void start(InetAddress address, int port) throws IOException {
    server.start(address, port);
  }

  public HttpUrl url(String path) {
    return server.url(path);
  }

  public int getPort() {
    return server.getPort();
  }

  public String getHostName() {
    return server.getHostName();
  }

  public int getRequestCount() {
    return server.getRequestCount();
  }

  public void enqueue(MockResponse response) {
    server.enqueue(response.toOkHttp4());
  }

  public RecordedRequest takeRequest() throws InterruptedException {
    return new RecordedRequest(server.takeRequest());
  }

  public RecordedRequest takeRequest(long timeout, TimeUnit unit) throws InterruptedException {
    okhttp3.mockwebserver.RecordedRequest request = server.takeRequest(timeout, unit);
    return request == null ? null : new RecordedRequest(request);
  }

  public void setDispatcher(Dispatcher dispatcher) {
    server.setDispatcher(
        new okhttp3.mockwebserver.Dispatcher() {
          @Override
          public okhttp3.mockwebserver.MockResponse dispatch(
              okhttp3.mockwebserver.RecordedRequest request) throws InterruptedException {
            return dispatcher.dispatch(new RecordedRequest(request)).toOkHttp4();
          }

          @Override
          public void shutdown() {
            dispatcher.close();
          }
        });
  }

  public void setServerSocketFactory(ServerSocketFactory factory) {
    server.setServerSocketFactory(factory);
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
