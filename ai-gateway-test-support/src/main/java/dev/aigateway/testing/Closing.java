package dev.aigateway.testing;

import java.util.List;

/**
 * Closes a test's local HTTP servers without holding the test up. A MockWebServer's close (OkHttp
 * 4's and 5's alike) waits, up to five seconds, until every answer it was told to hold back has
 * been written, although the call it was for ended long before: a test of a timeout makes a server
 * answer after the client gave up, and then sat out the rest of that delay in its teardown. What
 * such a server does after the test is read by no test.
 */
public final class Closing {

  private Closing() {}

  /**
   * Closes each of {@code servers} on a daemon thread of its own and returns at once; a close that
   * fails is printed to standard error (in the test's output file) by the thread's uncaught
   * exception handler.
   */
  public static void inBackground(List<? extends AutoCloseable> servers) {
    for (AutoCloseable server : servers) {
      Thread closer =
          new Thread(
              () -> {
                try {
                  server.close();
                } catch (Exception e) {
                  throw new IllegalStateException("could not close " + server, e);
                }
              },
              "close " + server.getClass().getSimpleName());
      closer.setDaemon(true);
      closer.start();
    }
  }

  /** {@link #inBackground(List)} of the given servers. */
  public static void inBackground(AutoCloseable... servers) {
    inBackground(List.of(servers));
  }
}
