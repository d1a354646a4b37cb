package mockwebserver3;

/** OkHttp 5's {@code SocketEffect} API, the one effect the tests use. */
public interface SocketEffect {

  /**
   * Closes the connection (OkHttp 4.12: after the request is read, for {@code onResponseStart}; during
   * the response body, for {@code onResponseBody}).
   */
  final class CloseSocket implements SocketEffect {
    public CloseSocket() {}

    public CloseSocket(boolean closeSocket, boolean shutdownInput, boolean shutdownOutput) {}
  }
}
