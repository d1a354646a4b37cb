package dev.aigateway.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fast loopback OpenAI chat backend for {@link CpuHarness}, meant to run in its own process (its
 * own JVM, pinned to its own core), so that the client's CPU time is the client's alone: the JDK's
 * {@code com.sun.net.httpserver} answering every {@code POST} with {@link CannedBackend}'s canned
 * answers, a JSON chat completion with usage, or, when the request says {@code "stream":true}, its
 * SSE stream (with {@code "usage":null} on every chunk and a usage chunk when the request asks for
 * {@code stream_options.include_usage}, as OpenAI does), flushed one event at a time as a real
 * backend does.
 *
 * <pre>
 * java -cp benchmarks.jar dev.aigateway.benchmarks.LoopbackBackend [port, 0 = any free]
 * </pre>
 *
 * <p>Prints {@code listening on http://127.0.0.1:PORT} once it accepts calls, then serves until the
 * process is stopped.
 */
public final class LoopbackBackend implements AutoCloseable {

  private static final String STREAM = "\"stream\":true";
  private static final String INCLUDE_USAGE = "\"include_usage\":true";
  private static final byte[][] EVENTS = split(CannedBackend.EVENTS);
  private static final byte[][] EVENTS_WITH_USAGE = split(CannedBackend.EVENTS_WITH_USAGE);

  private final HttpServer server;
  private final ExecutorService handlers;

  private LoopbackBackend(int port) throws IOException {
    // Each event goes out as it is flushed, not held back by Nagle's algorithm.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    handlers = Executors.newFixedThreadPool(4);
    server.setExecutor(handlers);
    server.createContext("/", LoopbackBackend::answer);
    server.start();
  }

  /** Starts a backend on {@code port} of 127.0.0.1 (0: any free port). */
  static LoopbackBackend start(int port) throws IOException {
    return new LoopbackBackend(port);
  }

  /**
   * Serves until the process is stopped.
   *
   * @param args the port (default 0: any free port, printed)
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    LoopbackBackend backend = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    System.out.println("listening on " + backend.baseUrl());
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }

  /** The backend's base URL, {@code http://127.0.0.1:PORT}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }

  private static void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] sent;
      try (InputStream in = exchange.getRequestBody()) {
        sent = in.readAllBytes();
      }
      String text = new String(sent, StandardCharsets.ISO_8859_1);
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      if (!text.contains(STREAM)) {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, CannedBackend.COMPLETION.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(CannedBackend.COMPLETION);
        }
        return;
      }
      byte[][] events = text.contains(INCLUDE_USAGE) ? EVENTS_WITH_USAGE : EVENTS;
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      exchange.sendResponseHeaders(200, 0); // chunked
      try (OutputStream out = exchange.getResponseBody()) {
        for (byte[] event : events) {
          out.write(event);
          out.flush();
        }
      }
    }
  }

  /** A stream's bytes cut after each blank line: one array per event. */
  private static byte[][] split(byte[] stream) {
    List<byte[]> events = new ArrayList<>();
    int start = 0;
    for (int i = 1; i < stream.length; i++) {
      if (stream[i] == '\n' && stream[i - 1] == '\n') {
        events.add(Arrays.copyOfRange(stream, start, i + 1));
        start = i + 1;
      }
    }
    if (start < stream.length) {
      events.add(Arrays.copyOfRange(stream, start, stream.length));
    }
    return events.toArray(new byte[0][]);
  }
}
