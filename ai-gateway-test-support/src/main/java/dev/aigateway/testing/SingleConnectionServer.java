package dev.aigateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One connection of a {@link ServerSocket} answered by hand, for tests of whether a client closes
 * its connection (a pooled one when the SDK client is closed, a stream's when the application
 * closes it): the answer is sent, then the server reads until the client closes the connection.
 * Each method runs on the thread that calls it (typically {@code CompletableFuture.supplyAsync}).
 */
public final class SingleConnectionServer {

  private SingleConnectionServer() {}

  /**
   * Accepts one connection, answers its request with {@code json} whole ({@code 200}, {@code
   * application/json}), then waits up to 10 s for the client to close the connection: true when it
   * did.
   */
  public static boolean answerOnceThenAwaitClose(ServerSocket server, String json) {
    return answerThenAwaitClose(
        server,
        "application/json",
        json,
        json.getBytes(StandardCharsets.UTF_8).length,
        Duration.ofSeconds(10));
  }

  /**
   * Accepts one connection, answers its request with the first {@code head} of a server-sent event
   * stream {@code length} bytes long, then sends nothing more and waits up to a minute for the
   * client to close the connection: true when it did.
   */
  public static boolean streamThenAwaitClose(ServerSocket server, String head, int length) {
    return answerThenAwaitClose(server, "text/event-stream", head, length, Duration.ofMinutes(1));
  }

  private static boolean answerThenAwaitClose(
      ServerSocket server, String contentType, String sent, int contentLength, Duration wait) {
    try (Socket socket = server.accept()) {
      socket.setSoTimeout(Math.toIntExact(wait.toMillis()));
      InputStream in = socket.getInputStream();
      int last = 0;
      for (int b; (b = in.read()) != -1; ) { // to the end of the request's headers
        last = (last << 8 | b) & 0xFFFFFFFF;
        if (last == 0x0D0A0D0A) {
          break;
        }
      }
      OutputStream out = socket.getOutputStream();
      out.write(
          ("HTTP/1.1 200 OK\r\nContent-Type: "
                  + contentType
                  + "\r\nContent-Length: "
                  + contentLength
                  + "\r\n\r\n"
                  + sent)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (in.read() != -1) {
        // the rest of the request body; then the end of the stream once the client closes it
      }
      return true;
    } catch (IOException stillOpen) {
      return false;
    }
  }
}
