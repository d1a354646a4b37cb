package dev.aigateway.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fast loopback OpenAI chat backend for {@link CpuHarness}, meant to run in its own process (its
 * own JVM, pinned to its own core), so that the client's CPU time is the client's alone: the JDK's
 * {@code com.sun.net.httpserver} answering every {@code POST} with {@link CannedBackend}'s canned
 * answers, a JSON chat completion with usage, or, when the request says {@code "stream":true}, its
 * SSE stream (with {@code "usage":null} on every chunk and a usage chunk when the request asks for
 * {@code stream_options.include_usage}, as OpenAI does), flushed one event at a time as a real
 * backend does.
 *
 * <p>With the {@linkplain CpuHarness.Instrument#V2 second instrument} (the default) every answer
 * has its own id and the creation time of the second it is made in, as a real backend's answers
 * have ({@link CannedBackend.Stamp}: the same byte length as the canned ones); with {@code
 * --instrument=v1} every answer is the canned bytes, id and time included, as before.
 *
 * <pre>
 * java -cp benchmarks.jar dev.aigateway.benchmarks.LoopbackBackend [port, 0 = any free]
 *     [--instrument=v1|v2]
 * </pre>
 *
 * <p>Prints {@code listening on http://127.0.0.1:PORT} once it accepts calls, then serves until the
 * process is stopped.
 */
public final class LoopbackBackend implements AutoCloseable {

  private static final String STREAM = "\"stream\":true";
  private static final String INCLUDE_USAGE = "\"include_usage\":true";
  private static final int[] EVENT_ENDS = eventEnds(CannedBackend.EVENTS);
  private static final int[] EVENT_WITH_USAGE_ENDS = eventEnds(CannedBackend.EVENTS_WITH_USAGE);

  private final HttpServer server;
  private final ExecutorService handlers;
  private final boolean varying;
  private final AtomicLong answers = new AtomicLong();

  private LoopbackBackend(int port, CpuHarness.Instrument instrument) throws IOException {
    this.varying = instrument == CpuHarness.Instrument.V2;
    // Each event goes out as it is flushed, not held back by Nagle's algorithm.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    handlers = Executors.newFixedThreadPool(4);
    server.setExecutor(handlers);
    server.createContext("/", this::answer);
    server.start();
  }

  /** Starts a backend on {@code port} of 127.0.0.1 (0: any free port), answers of instrument v2. */
  static LoopbackBackend start(int port) throws IOException {
    return start(port, CpuHarness.Instrument.V2);
  }

  /** Starts a backend on {@code port} of 127.0.0.1 (0: any free port) for {@code instrument}. */
  static LoopbackBackend start(int port, CpuHarness.Instrument instrument) throws IOException {
    return new LoopbackBackend(port, instrument);
  }

  /**
   * Serves until the process is stopped.
   *
   * @param args the port (default 0: any free port, printed), and optionally {@code
   *     --instrument=v1} or {@code --instrument=v2} (the default), in any order
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    CpuHarness.Instrument instrument = CpuHarness.Instrument.of(args);
    String[] rest = CpuHarness.Instrument.without(args);
    LoopbackBackend backend = start(rest.length > 0 ? Integer.parseInt(rest[0]) : 0, instrument);
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

  private void answer(HttpExchange exchange) throws IOException {
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
        byte[] completion = stamped(CannedBackend.COMPLETION, CannedBackend.COMPLETION_STAMP);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, completion.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(completion);
        }
        return;
      }
      boolean usage = text.contains(INCLUDE_USAGE);
      byte[] events =
          usage
              ? stamped(CannedBackend.EVENTS_WITH_USAGE, CannedBackend.EVENTS_WITH_USAGE_STAMP)
              : stamped(CannedBackend.EVENTS, CannedBackend.EVENTS_STAMP);
      int[] ends = usage ? EVENT_WITH_USAGE_ENDS : EVENT_ENDS;
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      exchange.sendResponseHeaders(200, 0); // chunked
      try (OutputStream out = exchange.getResponseBody()) {
        int start = 0;
        for (int end : ends) {
          out.write(events, start, end - start);
          out.flush();
          start = end;
        }
      }
    }
  }

  /** The canned bytes (v1), or a copy with this answer's own id and time (v2). */
  private byte[] stamped(byte[] canned, CannedBackend.Stamp stamp) {
    if (!varying) {
      return canned;
    }
    return stamp.onto(canned.clone(), answers.incrementAndGet(), System.currentTimeMillis() / 1000);
  }

  /** Where each event of a stream ends: after its blank line (and the stream's last byte). */
  static int[] eventEnds(byte[] stream) {
    int[] ends = new int[stream.length];
    int count = 0;
    for (int i = 1; i < stream.length; i++) {
      if (stream[i] == '\n' && stream[i - 1] == '\n') {
        ends[count++] = i + 1;
      }
    }
    if (count == 0 || ends[count - 1] < stream.length) {
      ends[count++] = stream.length;
    }
    return Arrays.copyOf(ends, count);
  }
}
