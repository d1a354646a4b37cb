package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.aigateway.core.wire.SseBody;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * What the observed body of a governed OpenAI chat stream costs on its own: the canned stream of
 * {@value CannedBackend#STREAM_CHUNKS} chunks with {@code "usage":null} on each and the usage-only
 * chunk (as OpenAI sends it when the gateway asked for usage), handed out one event per read as a
 * socket does when the backend flushes every event, read whole by the application through {@link
 * SseBody} hiding usage (each {@code "usage":null} cut, the usage chunk dropped). No HTTP client,
 * no limits, no telemetry: the per-chunk work of the stream path alone, and what each stream
 * allocates for it ({@code -prof gc}). {@code plainEvents} reads the same events without the body,
 * for scale.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SseBodyBenchmark -prof gc}; numbers in
 * docs/benchmarks.md.
 */
public class SseBodyBenchmark extends MicroBenchmark {

  private final byte[] buffer = new byte[8192];
  private final WireFormatBenchmark.Outcome outcome = new WireFormatBenchmark.Outcome();
  private int[] eventEnds;

  @Setup
  public void setUp() throws IOException {
    byte[] events = CannedBackend.EVENTS_WITH_USAGE;
    int count = 0;
    int[] ends = new int[events.length];
    for (int i = 1; i < events.length; i++) {
      if (events[i] == '\n' && events[i - 1] == '\n') {
        ends[count++] = i + 1;
      }
    }
    eventEnds = Arrays.copyOf(ends, count);
    if (hiddenStream() != CannedBackend.EVENTS.length
        || outcome.usage == null
        || outcome.usage.outputTokens() != CannedBackend.STREAM_CHUNKS - 2) {
      throw new IllegalStateException("the body did not read the stream: " + outcome.usage);
    }
  }

  /** The stream read through the body hiding usage; returns the bytes the application saw. */
  @Benchmark
  public long hiddenStream() throws IOException {
    long seen = 0;
    try (SseBody body = hidingBody()) {
      for (int n; (n = body.read(buffer, 0, buffer.length)) >= 0; ) {
        seen += n;
      }
    }
    return seen;
  }

  /**
   * As {@link #hiddenStream}, read as the OkHttp adapter reads it ({@link SseBody#readScratch}: the
   * events framed in the application's buffer, each byte copied once).
   */
  @Benchmark
  public long hiddenStreamInPlace() throws IOException {
    long seen = 0;
    try (SseBody body = hidingBody()) {
      for (int n; (n = body.readScratch(buffer, 0, buffer.length)) >= 0; ) {
        seen += n;
      }
    }
    return seen;
  }

  /** A body over the canned stream, one event per read, hiding the usage the gateway asked for. */
  private SseBody hidingBody() {
    return new SseBody(
        new EventAtATime(CannedBackend.EVENTS_WITH_USAGE, eventEnds),
        outcome,
        () -> false,
        false,
        true);
  }

  /** The same events read straight from the stream, without the body. */
  @Benchmark
  public long plainEvents() throws IOException {
    long seen = 0;
    InputStream in = new EventAtATime(CannedBackend.EVENTS_WITH_USAGE, eventEnds);
    for (int n; (n = in.read(buffer, 0, buffer.length)) >= 0; ) {
      seen += n;
    }
    return seen;
  }

  /**
   * Without JMH: reads the stream through the body {@code streams} times a round, five rounds, and
   * prints each round's bytes allocated and thread CPU time per stream (the reading thread's own,
   * which other work on the machine disturbs less than wall time).
   *
   * <pre>
   * java -cp benchmarks.jar dev.aigateway.benchmarks.SseBodyBenchmark [streams per round=100000] [inPlace]
   * </pre>
   *
   * <p>With {@code inPlace}, the stream is read as {@link #hiddenStreamInPlace} reads it (as the
   * OkHttp adapter does), else as {@link #hiddenStream}.
   *
   * @param args the streams per round, and {@code inPlace} or nothing
   */
  public static void main(String[] args) throws IOException {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    boolean inPlace = args.length > 1 && args[1].equals("inPlace");
    SseBodyBenchmark benchmark = new SseBodyBenchmark();
    benchmark.setUp();
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long seen = 0;
    for (int round = 1; round <= 5; round++) {
      long bytes = threads.getThreadAllocatedBytes(thread);
      long cpu = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < streams; i++) {
        seen += inPlace ? benchmark.hiddenStreamInPlace() : benchmark.hiddenStream();
      }
      cpu = threads.getCurrentThreadCpuTime() - cpu;
      bytes = threads.getThreadAllocatedBytes(thread) - bytes;
      System.out.printf(
          "round %d: %.1f B/stream, %.2f us CPU/stream%n",
          round, bytes / (double) streams, cpu / 1000.0 / streams);
    }
    System.out.println("bytes seen: " + seen);
  }

  /** A stream's bytes, at most one event (up to its blank line) per read. */
  private static final class EventAtATime extends InputStream {
    private final byte[] events;
    private final int[] ends;
    private int position;
    private int next;

    EventAtATime(byte[] events, int[] ends) {
      this.events = events;
      this.ends = ends;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("read in blocks");
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position == events.length) {
        return -1;
      }
      while (next < ends.length && ends[next] <= position) {
        next++;
      }
      int end = next < ends.length ? ends[next] : events.length;
      int n = Math.min(len, end - position);
      System.arraycopy(events, position, b, off, n);
      position += n;
      return n;
    }
  }
}
